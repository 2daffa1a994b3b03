import {isPowerDns, powerDnsLagReason, serverSoftware} from '../dns/identify.js'
import {UserError} from '../lib/errors.js'
import {DnsHostError} from '../hosts/types.js'
import type {RRsetChange} from '../state/schema.js'
import {txtTexts} from '../zone/rrset.js'
import type {JournalEntry} from './journal.js'
import {describeSet, readLive, serverName, toRecordChange, type ChangeState, type LiveRead} from './live.js'
import {DEFAULT_TIMING, type RunnerDeps} from './types.js'

export type ChangeResult =
  | {kind: 'done'; appliedNow: boolean; at: number; evidence: ChangeEvidence}
  | {kind: 'drift'; message: string}
  | {kind: 'unreadable'; message: string}
  | {kind: 'timeout'; message: string}
  | {kind: 'interrupted'; applied: boolean; message: string}
  | {kind: 'host-error'; error: UserError}

export interface ChangeEvidence {
  appliedBy: 'this run' | 'found applied'
  servers: Array<{server: string; serial: number | null}>
  convergedAt: string
  intent?: string
  /** On a signed zone: every server served every changed RRset signed; the earliest RRSIG expiry seen. */
  dnssec?: {signed: true; servers: number; earliestExpiry: string | null}
}

/** The same TXT text in other character-strings: what a plan file that joined the strings (older mxcut) meets. */
function splitOnly(before: RRsetChange['before'], live: ChangeState['servers'][number]['live']): boolean {
  if (!before || !live || before.type !== 'TXT') return false
  const a = txtTexts(before).sort()
  const b = txtTexts(live).sort()
  return a.length === b.length && a.every((t, i) => t === b[i])
}

function driftMessage(stepId: string, states: ChangeState[]): string {
  const lines: string[] = []
  let resplit = false
  for (const cs of states) {
    const odd = cs.servers.filter((s) => s.state === 'other')
    if (odd.length === 0) continue
    const {change} = cs
    lines.push(`drift at step ${stepId}: ${change.name} ${change.type} is neither what the plan found before this step nor what it sets`)
    lines.push(...describeSet(change.before, change.name, change.type).map((l, i) => `  ${i === 0 ? 'before:  ' : '         '} ${l}`))
    lines.push(...describeSet(change.after, change.name, change.type).map((l, i) => `  ${i === 0 ? 'expected:' : '         '} ${l}`))
    for (const s of odd) lines.push(...describeSet(s.live, change.name, change.type).map((l, i) => `  ${i === 0 ? 'actual:  ' : '         '} ${l}   (${serverName(s.server)})`))
    resplit ||= odd.every((s) => splitOnly(change.before, s.live))
  }
  if (resplit) {
    lines.push('nothing was changed: the servers hold the same text in other character-strings than this plan file records (plans made before mxcut kept TXT strings joined them); make the plan again with mxcut plan')
  } else {
    lines.push('nothing was changed: find out who edited these records, put them back (or make a new plan with mxcut plan), then resume')
  }
  return lines.join('\n')
}

function unreadableMessage(stepId: string, states: ChangeState[]): string {
  const bad = states.flatMap((cs) => cs.servers.filter((s) => s.state === 'unreadable').map((s) => `${serverName(s.server)} ${s.problem ?? ''}`.trim()))
  return `step ${stepId}: cannot read live DNS from every authoritative server (${[...new Set(bad)].join('; ')}); nothing was changed, try again when they answer`
}

const LAG_WORTH_SAYING_MS = 2000

function converged(read: LiveRead): boolean {
  const everyAfter = read.changes.every((cs) => cs.servers.every((s) => s.state === 'after'))
  // On a signed zone an unsigned (or badly signed) answer is bogus to validating resolvers: not done yet.
  const everySigned = !read.signed || read.changes.every((cs) => cs.servers.every((s) => s.signature?.state === 'signed'))
  const serials = new Set(read.serials.map((s) => s.serial))
  return everyAfter && everySigned && serials.size === 1 && !serials.has(null)
}

function dnssecEvidence(read: LiveRead): ChangeEvidence['dnssec'] {
  if (!read.signed) return undefined
  const expiries = read.changes.flatMap((cs) => cs.servers.map((s) => s.signature?.expiresAt ?? null)).filter((e): e is number => e !== null)
  return {signed: true, servers: read.serials.length, earliestExpiry: expiries.length ? new Date(Math.min(...expiries) * 1000).toISOString() : null}
}

function pendingDescription(read: LiveRead): string {
  const parts: string[] = []
  for (const cs of read.changes) {
    for (const s of cs.servers) {
      if (s.state !== 'after') parts.push(`${serverName(s.server)} serves ${s.state === 'unreadable' ? `nothing usable (${s.problem})` : `the ${s.state === 'before' ? 'old' : 'unexpected'} ${cs.change.name} ${cs.change.type}`}`)
      else if (read.signed && s.signature?.state !== 'signed') parts.push(`${serverName(s.server)} serves the new ${cs.change.name} ${cs.change.type} ${s.signature?.state === 'unsigned' || !s.signature ? 'unsigned' : `with a bad signature (${s.signature.detail})`}`)
    }
  }
  const serials = [...new Set(read.serials.map((s) => s.serial))]
  if (serials.length > 1) parts.push(`SOA serials differ (${read.serials.map((s) => `${s.server} ${s.serial ?? '-'}`).join(', ')})`)
  return [...new Set(parts)].join('; ')
}

/**
 * Some servers serve the change and others not yet: names the ones that lag
 * and why. A PowerDNS primary is known to send NOTIFY late; anything else is
 * the zone transfer still under way. Null while no server serves it yet.
 */
export async function lagExplanation(read: LiveRead, timeoutMs: number): Promise<string | null> {
  const servers = read.changes.flatMap((cs) => cs.servers)
  const ahead = [...new Set(servers.filter((s) => s.state === 'after').map((s) => s.server))]
  const behind = [...new Set(servers.filter((s) => s.state === 'before').map((s) => s.server))].filter((s) => !ahead.includes(s))
  if (ahead.length === 0 || behind.length === 0) return null
  const names = behind.map(serverName).join(', ')
  for (const server of ahead) {
    if (isPowerDns(await serverSoftware(server, {timeoutMs}))) return `${names} still ${behind.length === 1 ? 'serves' : 'serve'} the old records: ${powerDnsLagReason(serverName(server))}`
  }
  return `${names} still ${behind.length === 1 ? 'serves' : 'serve'} the old records while ${ahead.map(serverName).join(', ')} ${ahead.length === 1 ? 'serves' : 'serve'} the change: waiting for the zone transfer (NOTIFY, then IXFR/AXFR)`
}

/**
 * The DNS host's credentials and zone, checked without changing anything
 * before a run or rollback writes to the plan: a wrong key stops it with the
 * plan file as it was (and the zone untouched); the journal records the attempt.
 */
export async function checkHost(deps: RunnerDeps): Promise<void> {
  if (!deps.host.check) return
  try {
    await deps.host.check()
  } catch (err) {
    await deps.journal.append({event: 'host-check-failed', host: deps.host.name, message: err instanceof Error ? err.message : String(err), ...(err instanceof DnsHostError ? {errorKind: err.kind} : {})})
    throw err
  }
}

/**
 * One DNS change, idempotent and crash-safe: read every authoritative server;
 * all show the after-state → done; all show the before-state → journal the
 * intent, apply, journal the outcome; anything else → drift, nothing touched.
 * Then wait until every server serves the after-state with one SOA serial.
 */
export async function performChange(stepId: string, changes: readonly RRsetChange[], zone: string, deps: RunnerDeps, openIntent?: JournalEntry): Promise<ChangeResult> {
  const timing = {...DEFAULT_TIMING, ...deps.timing}
  const liveOptions = {timeoutMs: timing.queryTimeoutMs, now: () => deps.clock.now()}
  const read = await readLive(deps.client, zone, deps.authServers, changes, liveOptions)
  const states = read.changes
  if (states.some((cs) => cs.servers.some((s) => s.state === 'unreadable'))) return {kind: 'unreadable', message: unreadableMessage(stepId, states)}
  if (states.some((cs) => cs.servers.some((s) => s.state === 'other'))) {
    await deps.journal.append({event: 'drift', step: stepId, message: 'live DNS matches neither the before nor the after state', live: states.map((cs) => ({name: cs.change.name, type: cs.change.type, servers: cs.servers.map((s) => ({server: serverName(s.server), state: s.state, live: s.live}))}))})
    return {kind: 'drift', message: driftMessage(stepId, states)}
  }
  // A change shown by some server (a secondary still catching up) was made already: never send it twice.
  const toApply = states.filter((cs) => cs.servers.every((s) => s.state === 'before')).map((cs) => cs.change)
  const alreadyThere = states.length - toApply.length
  if (openIntent) {
    await deps.journal.append({
      event: 'interrupted-intent',
      step: stepId,
      intent: openIntent.intent,
      message:
        toApply.length === 0
          ? `a run (pid ${openIntent.pid}) stopped after its intent; live DNS shows the change made, so it is not sent again`
          : `a run (pid ${openIntent.pid}) stopped after its intent; live DNS shows ${alreadyThere === 0 ? 'no part' : `${alreadyThere} of ${states.length} changes`} of it made, so the rest is sent now`,
    })
  }
  let intentId: string | undefined
  if (toApply.length > 0) {
    // Nothing is changed that could not be recorded: room for the outcome first, then the intent made durable.
    await deps.ensureRecordable?.()
    intentId = deps.journal.newIntentId()
    const recordChanges = toApply.map(toRecordChange)
    await deps.journal.append({event: 'intent', step: stepId, intent: intentId, host: deps.host.name, changes: recordChanges})
    deps.failpoint?.(`after-intent:${stepId}`)
    try {
      await deps.host.apply(recordChanges)
    } catch (err) {
      const error = err instanceof UserError ? err : new UserError(`step ${stepId}: the DNS host failed: ${(err as Error).message}`, {cause: err})
      await deps.journal.append({event: 'outcome', step: stepId, intent: intentId, result: 'failed', message: error.message, ...(err instanceof DnsHostError ? {errorKind: err.kind} : {})})
      return {kind: 'host-error', error}
    }
    deps.failpoint?.(`after-apply:${stepId}`)
    await deps.journal.append({event: 'outcome', step: stepId, intent: intentId, result: 'applied'})
  } else {
    await deps.journal.append({event: 'already-applied', step: stepId, message: alreadyThere === states.length && states.every((cs) => cs.servers.every((s) => s.state === 'after')) ? 'every authoritative server already serves the after-state' : 'the change is live on some servers; waiting for the rest'})
  }

  const started = deps.clock.now()
  let delay = timing.pollMinMs
  let last = read
  let explained = false
  for (let round = 0; ; round++) {
    // Before-state read is stale once something was sent: read again at once.
    if (round > 0 || toApply.length > 0) last = await readLive(deps.client, zone, deps.authServers, changes, liveOptions)
    // Fires on the first read after the change, before the convergence check, so it is hit
    // even when every server already serves the change (NOTIFY can beat the first read).
    if (round === 0) deps.failpoint?.(`converging:${stepId}`)
    if (converged(last)) {
      const at = deps.clock.now()
      const dnssec = dnssecEvidence(last)
      await deps.journal.append({event: 'converged', step: stepId, serials: last.serials, ...(dnssec ? {dnssec} : {})})
      return {kind: 'done', appliedNow: toApply.length > 0, at, evidence: {appliedBy: toApply.length > 0 ? 'this run' : 'found applied', servers: last.serials, convergedAt: new Date(at).toISOString(), ...(intentId ? {intent: intentId} : {}), ...(dnssec ? {dnssec} : {})}}
    }
    if (round === 0) await deps.journal.append({event: 'propagating', step: stepId, message: pendingDescription(last)})
    // Said once, after a moment: a secondary a few hundred milliseconds behind is not news.
    if (!explained && deps.clock.now() - started >= LAG_WORTH_SAYING_MS) {
      const why = await lagExplanation(last, timing.queryTimeoutMs)
      if (why) {
        explained = true
        deps.ui.info(`step ${stepId}: ${why}`)
        await deps.journal.append({event: 'propagating', step: stepId, message: why})
      }
    }
    if (deps.interrupt?.aborted) return {kind: 'interrupted', applied: true, message: `interrupted while waiting for the authoritative servers to serve ${stepId}: ${pendingDescription(last)}`}
    if (deps.clock.now() - started >= timing.convergeTimeoutMs) {
      // Blame the secondaries only when some server serves the change: when none does, it never reached the DNS host.
      const someServe = last.changes.some((cs) => cs.servers.some((sv) => sv.state === 'after'))
      const advice = someServe ? 'check zone transfers (NOTIFY/IXFR) from the primary to the others' : 'no authoritative server serves it: check that the change was saved at the DNS host'
      return {kind: 'timeout', message: `step ${stepId}: the change was sent but not every authoritative server serves it after ${Math.round(timing.convergeTimeoutMs / 1000)} s: ${pendingDescription(last)}; ${advice}, then resume`}
    }
    await deps.clock.sleep(delay, deps.interrupt)
    delay = Math.min(delay * 2, timing.pollMaxMs)
  }
}
