import {changesMxData, finalMx, mxChange} from '../state/queries.js'
import {bold, dim, green, red, table, yellow} from '../lib/style.js'
import {formatClock, formatDuration} from '../lib/time.js'
import type {CutoverPlan} from '../plan/planner.js'
import type {PlanState} from '../state/schema.js'
import type {JournalEntry} from '../run/journal.js'
import type {RunOutcome} from '../run/runner.js'
import {rdataKeys} from '../zone/rrset.js'
import type {Sandbox} from './index.js'
import type {MailReport} from './mail.js'
import type {WorldNeeds} from './world.js'

/** The `rehearse --json` / `demo --json` report. */
export interface RehearsalReport {
  domain: string
  outcome: RunOutcome['kind']
  /** One line when the run did not finish. */
  message: string | null
  simulated: {startedAt: string; finishedAt: string; seconds: number}
  realSeconds: number
  steps: Array<{id: string; kind: string; status: string; startSeconds: number | null; endSeconds: number | null}>
  /** Simulated seconds from the start to the UPDATE that replaced the MX data. */
  swapSeconds: number | null
  expectedMx: string[]
  secondary: {lagSeconds: number | null; transfers: Array<{serial: number; atSeconds: number}>}
  resolvers: Array<{
    name: string
    behaviour: string
    /** Simulated seconds from the start after which it only served the final MX; null: never. */
    convergedSeconds: number | null
    /** Seconds after the swap. */
    afterSwapSeconds: number | null
    /** Largest remaining TTL it gave the old MX after the swap (above the published one: it clamps). */
    oldTtlAfterSwap: number | null
    queries: number
    dropped: number
  }>
  mail: MailReport & {targetReadySeconds: number | null; sourceOffSeconds: number | null; switchOffStep: string | null}
  problems: string[]
  notes: string[]
  final: Array<{server: string; serial: number | null; mxTtl: number | null; mx: string[]}>
  standIns: WorldNeeds
}

export interface ReportInput {
  plan: PlanState
  cutover: CutoverPlan | null
  outcome: RunOutcome
  sandbox: Sandbox
  domain: string
  startedAt: number
  finishedAt: number
  realMs: number
  mail: MailReport
  readiness: {targetHosts: string[]; sourceHosts: string[]; verification: string | null; targetReadyAt: number | null; sourceOffAt: number | null; switchOffStep: string | null}
  finalState: RehearsalReport['final']
  standIns: WorldNeeds
  journal: JournalEntry[]
}


export function buildReport(input: ReportInput): RehearsalReport {
  const {plan, sandbox, domain, startedAt} = input
  const rel = (ms: number | null) => (ms === null ? null : Math.round((ms - startedAt) / 1000))
  const relIso = (iso: string | undefined) => (iso ? rel(Date.parse(iso)) : null)
  const swapStep = plan.steps.find((s) => s.kind === 'dns-change' && changesMxData(mxChange(plan, s)) && s.startedAt)
  const swapAt = swapStep?.startedAt ? Date.parse(swapStep.startedAt) : null
  const expected = rdataKeys({type: 'MX', records: finalMx(plan)})
  const sameAsExpected = (data: string[]) => data.length === expected.length && data.every((d, i) => d === expected[i])

  const resolvers = sandbox.resolvers.map((r, i) => {
    const served = r.served.filter((s) => s.name === domain && s.type === 'MX' && s.rcode !== 'SERVFAIL')
    let convergedAt: number | null = null
    for (const s of served) {
      if (sameAsExpected(s.data)) convergedAt ??= s.at
      else convergedAt = null
    }
    const oldAfterSwap = swapAt === null ? [] : served.filter((s) => s.at >= swapAt && !sameAsExpected(s.data) && s.ttl !== null)
    return {
      name: r.name,
      behaviour: sandbox.resolverSpecs[i]?.description ?? '',
      convergedSeconds: rel(convergedAt),
      afterSwapSeconds: convergedAt !== null && swapAt !== null ? Math.max(0, Math.round((convergedAt - swapAt) / 1000)) : null,
      oldTtlAfterSwap: oldAfterSwap.length > 0 ? Math.max(...oldAfterSwap.map((s) => s.ttl ?? 0)) : null,
      queries: r.stats.received,
      dropped: r.stats.dropped,
    }
  })

  const updates = sandbox.events.filter((e) => e.server === 'primary' && e.kind === 'update')
  const transfers = sandbox.events.filter((e) => e.server === 'secondary' && e.kind === 'transfer')
  const lags = updates
    .map((u) => transfers.find((t) => t.serial === u.serial))
    .map((t, n) => (t ? t.at - updates[n].at : null))
    .filter((x): x is number => x !== null)

  const problems: string[] = []
  const notes: string[] = []
  if (input.outcome.kind !== 'done') {
    const o = input.outcome
    problems.push(`the run stopped (${o.kind}${'step' in o ? ` at ${o.step}` : ''})${'message' in o ? `: ${o.message.split('\n')[0]}` : ''}`)
  }
  const bySender = new Map<string, typeof input.mail.bounces>()
  for (const b of input.mail.bounces) bySender.set(`${b.sender} ${b.exchange} ${b.reason}`, [...(bySender.get(`${b.sender} ${b.exchange} ${b.reason}`) ?? []), b])
  for (const list of bySender.values()) {
    const first = list[0]
    const last = list[list.length - 1]
    problems.push(
      `${list.length} message${list.length > 1 ? 's' : ''} through resolver ${first.sender} went to ${first.exchange} between +${formatDuration((first.at - startedAt) / 1000)} and +${formatDuration((last.at - startedAt) / 1000)}, and bounced: ${first.reason}`,
    )
  }
  const publishedAtSwap = swapStep?.changes?.find((c) => c.type === 'MX')?.before?.ttl ?? null
  for (const r of resolvers) {
    if (r.convergedSeconds === null && input.outcome.kind === 'done') problems.push(`resolver ${r.name} never served the final MX`)
    if (r.oldTtlAfterSwap !== null && publishedAtSwap !== null && r.oldTtlAfterSwap > publishedAtSwap) {
      notes.push(
        `resolver ${r.name} held the old MX with ${formatDuration(r.oldTtlAfterSwap)} left after the swap, beyond the ${formatDuration(publishedAtSwap)} published: it clamps TTLs, so keep the source accepting mail at least ${formatDuration(r.oldTtlAfterSwap)} after the swap`,
      )
    }
  }
  if (input.mail.deferred > 0) {
    notes.push(`${input.mail.deferred} lookup${input.mail.deferred > 1 ? 's' : ''} got no answer in time (lossy or slow resolvers); an MTA queues such messages and retries, nothing is lost`)
  }
  const warnings = plan.findings.filter((f) => f.severity === 'warning')
  if (warnings.length > 0) notes.push(`audit warnings carried by the plan: ${warnings.map((f) => f.code).join(', ')}`)
  if (input.standIns.hosts.length + input.standIns.spf.length + input.standIns.dkim.length > 0) {
    notes.push(`names outside the zone were stand-ins in the sandbox (addresses from 192.0.2.0/24, a one-term SPF policy): ${[...input.standIns.hosts, ...input.standIns.spf, ...input.standIns.dkim].join(', ')}`)
  }

  return {
    domain,
    outcome: input.outcome.kind,
    message: 'message' in input.outcome ? input.outcome.message.split('\n')[0] : null,
    simulated: {startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(input.finishedAt).toISOString(), seconds: Math.round((input.finishedAt - startedAt) / 1000)},
    realSeconds: Math.round(input.realMs / 100) / 10,
    steps: plan.steps.map((s) => ({id: s.id, kind: s.kind, status: s.status, startSeconds: relIso(s.startedAt), endSeconds: relIso(s.finishedAt)})),
    swapSeconds: rel(swapAt),
    expectedMx: expected,
    secondary: {lagSeconds: lags.length > 0 ? Math.round(Math.max(...lags) / 1000) : null, transfers: transfers.map((t) => ({serial: t.serial ?? 0, atSeconds: rel(t.at) ?? 0}))},
    resolvers,
    mail: {
      ...input.mail,
      targetReadySeconds: rel(input.readiness.targetReadyAt),
      sourceOffSeconds: rel(input.readiness.sourceOffAt),
      switchOffStep: input.readiness.switchOffStep,
    },
    problems,
    notes,
    final: input.finalState,
    standIns: input.standIns,
  }
}

const plus = (s: number | null) => (s === null ? '—' : `+${formatDuration(s)}`)

export function renderReport(r: RehearsalReport): string {
  const out: string[] = []
  const start = Date.parse(r.simulated.startedAt)
  out.push('', bold(`Rehearsal of ${r.domain}: ${r.outcome === 'done' ? green('completed') : red(r.outcome)}`))
  out.push(`  simulated time: ${formatDuration(r.simulated.seconds)} (${formatClock(start)} → ${formatClock(Date.parse(r.simulated.finishedAt))}), real time ${r.realSeconds} s`)
  if (r.swapSeconds !== null) out.push(`  MX swapped at ${plus(r.swapSeconds)}; the secondary followed each change within ${r.secondary.lagSeconds === null ? '—' : formatDuration(r.secondary.lagSeconds)}`)
  if (r.message) out.push(`  ${red(r.message)}`)

  out.push('', bold('Steps'))
  out.push(table(['step', 'status', 'started', 'finished'], r.steps.map((s) => [s.id, s.status === 'done' ? green(s.status) : s.status === 'failed' ? red(s.status) : s.status, plus(s.startSeconds), plus(s.endSeconds)])))

  out.push('', bold(`Resolvers (when each served only ${r.expectedMx.join(', ') || 'no MX'})`))
  out.push(
    table(
      ['resolver', 'behaviour', 'converged', 'after swap', 'old MX TTL after swap', 'queries'],
      r.resolvers.map((x) => [
        x.name,
        x.behaviour,
        x.convergedSeconds === null ? red('never') : plus(x.convergedSeconds),
        x.afterSwapSeconds === null ? '—' : formatDuration(x.afterSwapSeconds),
        x.oldTtlAfterSwap === null ? '—' : formatDuration(x.oldTtlAfterSwap),
        `${x.queries}${x.dropped > 0 ? ` (${x.dropped} dropped)` : ''}`,
      ]),
    ),
  )

  const m = r.mail
  out.push('', bold(`Mail continuity (${m.senders.length} senders, one message each per simulated ${formatDuration(m.intervalMs / 1000)})`))
  out.push(table(['host', 'role', 'messages'], m.byHost.map((h) => [h.exchange, h.role, String(h.messages)])))
  out.push(
    `  ${m.messages} messages: ${m.bounced === 0 ? green('0 bounced') : red(`${m.bounced} bounced`)}, ${m.deferred} deferred` +
      `; target accepting from ${plus(m.targetReadySeconds)}, source switched off at ${m.sourceOffSeconds === null ? 'the end' : `${plus(m.sourceOffSeconds)} (after ${m.switchOffStep})`}`,
  )

  out.push('', bold('What would have gone wrong'))
  if (r.problems.length === 0) out.push(`  ${green('nothing')}: every step ran, every resolver converged, no message reached a host that was not ready`)
  for (const p of r.problems) out.push(`  ${red('✖')} ${p}`)
  for (const n of r.notes) out.push(`  ${yellow('•')} ${n}`)

  out.push('', bold('Final state'))
  for (const f of r.final) {
    out.push(`  ${f.server.padEnd(9)} serial ${f.serial ?? '—'}  ${f.mx.map((x) => `${r.domain}. ${f.mxTtl ?? ''} IN MX ${x}`).join('\n' + ' '.repeat(String(f.serial ?? '—').length + 20)) || dim('no MX')}`)
  }
  return out.join('\n')
}
