import {UserError} from '../lib/errors.js'
import type {PlanState, RRsetJson, RRsetChange} from '../state/schema.js'
import {sameData, sameRRset} from '../zone/rrset.js'
import {checkHost, performChange} from './change.js'
import {openIntents} from './journal.js'
import {describeSet, readLive, serverName, toRRset} from './live.js'
import {anyChangeMade} from './timeline.js'
import {DEFAULT_TIMING, type RunnerDeps} from './types.js'

export type RollbackOutcome = {kind: 'done'; changed: boolean} | {kind: 'drift'; message: string} | {kind: 'failed'; message: string} | {kind: 'paused'; message: string}

export interface RollbackResult {
  plan: PlanState
  outcome: RollbackOutcome
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The MX TTL used while the cutover runs: the lower-ttl step's, else the config's. */
export function loweredTtl(plan: PlanState): number | null {
  for (const s of plan.steps) {
    for (const c of s.changes ?? []) {
      if (c.type === 'MX' && c.before && c.after && c.after.ttl < c.before.ttl) return c.after.ttl
    }
  }
  const v = (plan.config as {ttl?: {lowered?: unknown}}).ttl?.lowered
  return typeof v === 'number' ? v : null
}

/** Every MX RRset the plan may have left live: the states before and after each step. */
function knownMxStates(plan: PlanState): RRsetJson[] {
  const out: RRsetJson[] = []
  for (const s of plan.steps) for (const c of s.changes ?? []) if (c.type === 'MX') for (const set of [c.before, c.after]) if (set) out.push(set)
  return out
}

/**
 * Puts the original MX back: first the original records at the lowered TTL
 * (so a second thought is cheap), verified on every authoritative server,
 * then the original TTL. Each half is an idempotent change like any step:
 * what is live decides whether it is still to do, and anything the plan
 * never set is drift and stops the rollback untouched.
 */
export async function rollbackPlan(input: PlanState, deps: RunnerDeps, options: {resumeCommand: string}): Promise<RollbackResult> {
  const plan: PlanState = structuredClone(input)
  const now = () => deps.clock.now()
  const inFlight = openIntents(deps.previousJournal ?? []).length > 0
  if (!anyChangeMade(plan) && !inFlight && !plan.rollback) {
    throw new UserError(`nothing to roll back: no DNS change of plan ${plan.id} has been made yet (delete the plan file if the cutover is off)`)
  }
  const domain = plan.domain
  const original: RRsetJson | null = plan.observed.mx.ttl === null || plan.observed.mx.records.length === 0 ? null : {name: domain, type: 'MX', ttl: plan.observed.mx.ttl, records: plan.observed.mx.records}
  const lowered = loweredTtl(plan) ?? original?.ttl ?? 300
  const timing = {...DEFAULT_TIMING, ...deps.timing}

  await checkHost(deps)
  plan.rollback = {status: 'running', startedAt: plan.rollback?.status === 'running' ? plan.rollback.startedAt : iso(now())}
  await deps.save(plan)
  await deps.journal.append({event: 'rollback-start', message: original ? `restoring ${original.records.length} original MX record(s), TTL ${lowered} s then ${original.ttl} s` : 'removing the MX RRset (there was none before)'})

  const failed = async (kind: 'drift' | 'failed' | 'paused', message: string): Promise<RollbackResult> => {
    if (kind !== 'paused') {
      plan.rollback = {...plan.rollback!, status: 'failed', error: message.split('\n')[0]}
      await deps.journal.append({event: 'rollback-failed', message: message.split('\n')[0]})
    }
    await deps.save(plan)
    return {plan, outcome: {kind, message}}
  }

  // What is live now, once the servers agree (a secondary may still be catching up with the last step).
  const probe: RRsetChange = {name: domain, type: 'MX', before: original, after: original}
  let live: RRsetJson | null = null
  const started = now()
  for (let delay = timing.pollMinMs; ; delay = Math.min(delay * 2, timing.pollMaxMs)) {
    const read = await readLive(deps.client, plan.zone, deps.authServers, [probe], {timeoutMs: timing.queryTimeoutMs})
    const servers = read.changes[0].servers
    const bad = servers.find((s) => s.state === 'unreadable')
    if (bad) return failed('failed', `rollback: cannot read ${domain} MX from ${serverName(bad.server)} (${bad.problem}); nothing was changed, try again when it answers`)
    const first = servers[0].live
    if (servers.every((s) => sameRRset(s.live, first))) {
      live = first ? {name: domain, type: 'MX', ttl: first.ttl, records: first.records as RRsetJson['records']} : null
      break
    }
    if (now() - started > timing.convergeTimeoutMs) {
      return failed('failed', `rollback: the authoritative servers serve different MX RRsets (${servers.map((s) => `${serverName(s.server)}: ${describeSet(s.live, domain, 'MX').join(' | ')}`).join('; ')}); nothing was changed`)
    }
    await deps.clock.sleep(delay, deps.interrupt)
  }

  const target1: RRsetJson | null = original ? {...original, ttl: lowered} : null
  const known = [...knownMxStates(plan), ...(target1 ? [target1] : []), ...(original ? [original] : [])]
  if (!known.some((k) => sameRRset(toRRset(k), toRRset(live)))) {
    const message = [
      `rollback: ${domain} MX is not a state this plan ever set, so someone else changed it; nothing was changed`,
      ...describeSet(live, domain, 'MX').map((l, i) => `  ${i === 0 ? 'actual:  ' : '         '} ${l}`),
      ...describeSet(original, domain, 'MX').map((l, i) => `  ${i === 0 ? 'original:' : '         '} ${l}`),
    ].join('\n')
    await deps.journal.append({event: 'drift', step: 'rollback', message: message.split('\n')[0]})
    return failed('drift', message)
  }

  let changed = false
  // Half one: the original records at the lowered TTL, unless the data is back already.
  if (!sameData(toRRset(live), toRRset(original))) {
    const r = await performChange('rollback-mx', [{name: domain, type: 'MX', before: live, after: target1}], plan.zone, deps)
    if (r.kind === 'drift') return failed('drift', r.message)
    if (r.kind === 'interrupted') return failed('paused', r.message)
    if (r.kind === 'host-error') return failed('failed', r.error.message)
    if (r.kind !== 'done') return failed('failed', r.message)
    changed ||= r.appliedNow
    deps.ui.ok(`rollback-mx: the original MX is back on every authoritative server (TTL ${lowered} s)`)
    live = target1
  }
  // Half two: the original TTL.
  if (original && !sameRRset(toRRset(live), toRRset(original))) {
    const r = await performChange('rollback-ttl', [{name: domain, type: 'MX', before: live, after: original}], plan.zone, deps)
    if (r.kind === 'drift') return failed('drift', r.message)
    if (r.kind === 'interrupted') return failed('paused', r.message)
    if (r.kind === 'host-error') return failed('failed', r.error.message)
    if (r.kind !== 'done') return failed('failed', r.message)
    changed ||= r.appliedNow
    deps.ui.ok(`rollback-ttl: the original TTL (${original.ttl} s) is back on every authoritative server`)
  }

  for (const s of plan.steps) {
    if (s.status === 'pending' || s.status === 'running' || s.status === 'failed') {
      s.status = 'skipped'
      s.error = 'skipped: the plan was rolled back'
    }
  }
  const companions = plan.steps.filter((s) => s.kind === 'dns-change' && s.status === 'done' && !(s.changes ?? []).some((c) => c.type === 'MX'))
  plan.rollback = {status: 'done', startedAt: plan.rollback!.startedAt, finishedAt: iso(now())}
  await deps.save(plan)
  await deps.journal.append({event: 'rollback-done', message: changed ? 'original MX restored' : 'DNS already showed the original MX'})
  if (companions.length > 0) deps.ui.info(`left in place (harmless to keep, remove by hand if wanted): ${companions.map((s) => s.title).join('; ')}`)
  return {plan, outcome: {kind: 'done', changed}}
}
