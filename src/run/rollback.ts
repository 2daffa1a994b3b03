import {UserError} from '../lib/errors.js'
import {anyChangeMade, mxChange, reachedDns} from '../state/queries.js'
import type {PlanState, RollbackProcedure, RRsetJson} from '../state/schema.js'
import {sameRRset, type RRset} from '../zone/rrset.js'
import {checkHost} from './change.js'
import {openIntents} from './journal.js'
import {describeSet, readLive, serverName, toRRset} from './live.js'
import {runSequence} from './sequence.js'
import {DEFAULT_TIMING, type RunnerDeps} from './types.js'

export type RollbackOutcome = {kind: 'done'; changed: boolean} | {kind: 'drift'; message: string} | {kind: 'failed'; message: string} | {kind: 'paused'; message: string}

export interface RollbackResult {
  plan: PlanState
  outcome: RollbackOutcome
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Runs the rollback the plan stores (and the review showed): the procedure
 * for the furthest step the run reached whose starting point live DNS
 * confirms, through the same step handlers as the forward plan. Nothing is
 * re-derived: a plan without stored procedures is refused.
 */
export async function rollbackPlan(input: PlanState, deps: RunnerDeps, options: {resumeCommand: string}): Promise<RollbackResult> {
  const plan: PlanState = structuredClone(input)
  const now = () => deps.clock.now()
  const open = openIntents(deps.previousJournal ?? [])
  if (!anyChangeMade(plan) && open.length === 0 && !plan.rollback) {
    throw new UserError(`nothing to roll back: no DNS change of plan ${plan.id} has been made yet (delete the plan file if the cutover is off)`)
  }
  if (!plan.rollbackPlan) {
    throw new UserError(`plan ${plan.id} was made by an older mxcut and stores no rollback procedure; restore MX ${describeSet(originalMx(plan), plan.domain, 'MX').join(' | ')} by hand, or make a new plan`)
  }
  await checkHost(deps)
  const failed = async (kind: 'drift' | 'failed' | 'paused', message: string): Promise<RollbackResult> => {
    if (kind !== 'paused' && plan.rollback) {
      plan.rollback = {...plan.rollback, status: 'failed', error: message.split('\n')[0]}
      await deps.journal.append({event: 'rollback-failed', message: message.split('\n')[0]})
    }
    await deps.save(plan)
    return {plan, outcome: {kind, message}}
  }

  const chosen = await chooseProcedure(plan, deps, open.map((e) => e.step ?? ''))
  if (chosen.kind === 'error') {
    plan.rollback ??= {status: 'running', startedAt: iso(now())}
    if (chosen.drift) await deps.journal.append({event: 'drift', step: 'rollback', message: chosen.message.split('\n')[0]})
    return failed(chosen.drift ? 'drift' : 'failed', chosen.message)
  }
  const procedure = chosen.procedure
  plan.rollback = {status: 'running', startedAt: plan.rollback?.status === 'running' || plan.rollback?.status === 'failed' ? plan.rollback.startedAt : iso(now()), ...(procedure ? {procedure: procedure.from} : {})}
  await deps.save(plan)
  await deps.journal.append({
    event: 'rollback-start',
    message: procedure ? `${procedure.title}: ${procedure.steps.map((s) => s.id).join(', ')}` : 'the MX was never changed: nothing to undo',
  })

  let changed = false
  if (procedure) {
    for (const s of procedure.steps) if (s.status === 'failed') s.status = 'pending'
    const outcome = await runSequence(plan, procedure.steps, deps, {yes: true, resumeCommand: options.resumeCommand}, open)
    if (outcome.kind === 'paused') return failed('paused', outcome.reason)
    if (outcome.kind === 'drift' || outcome.kind === 'failed') return failed(outcome.kind, outcome.message)
    if (outcome.kind !== 'done') return failed('failed', `rollback stopped at ${outcome.step} (${outcome.kind})`)
    changed = procedure.steps.some((s) => (s.evidence as {appliedBy?: string} | undefined)?.appliedBy === 'this run')
  }

  for (const s of plan.steps) {
    if (s.status === 'pending' || s.status === 'running' || s.status === 'failed') {
      s.status = 'skipped'
      s.error = 'skipped: the plan was rolled back'
    }
  }
  plan.rollback = {...plan.rollback, status: 'done', finishedAt: iso(now())}
  delete plan.rollback.error
  await deps.save(plan)
  await deps.journal.append({event: 'rollback-done', message: changed ? 'original MX restored' : 'DNS already showed the original MX'})
  const kept = plan.rollbackPlan.optional.filter((s) => (s.changes ?? []).length > 0)
  if (kept.length > 0) deps.ui.info(`left in place (harmless to keep, remove by hand if wanted; the review lists the exact records): ${kept.map((s) => s.title).join('; ')}`)
  return {plan, outcome: {kind: 'done', changed}}
}

function originalMx(plan: PlanState): RRsetJson | null {
  const m = plan.observed.mx
  return m.ttl === null || m.records.length === 0 ? null : {name: plan.domain, type: 'MX', ttl: m.ttl, records: m.records}
}

type Choice = {kind: 'ok'; procedure: RollbackProcedure | null} | {kind: 'error'; drift: boolean; message: string}

/**
 * The procedure to run: the one already under way, else the one for the
 * furthest forward step that reached DNS (or has an intent in flight) whose
 * starting MX, or any MX it sets, is what every authoritative server serves.
 */
async function chooseProcedure(plan: PlanState, deps: RunnerDeps, inFlight: string[]): Promise<Choice> {
  const procedures = plan.rollbackPlan?.procedures ?? []
  const current = procedures.find((p) => p.from === plan.rollback?.procedure)
  if (current) return {kind: 'ok', procedure: current}
  const reached = plan.steps.filter((s) => reachedDns(s) || inFlight.includes(s.id)).map((s) => s.id)
  const candidates = procedures.filter((p) => reached.includes(p.from)).reverse()
  if (candidates.length === 0) return {kind: 'ok', procedure: null}
  const live = await agreedMx(plan, deps)
  if (live.kind === 'error') return {kind: 'error', drift: false, message: live.message}
  for (const p of candidates) {
    const at = startingPoint(plan, p, live.set)
    if (at !== null) {
      // Steps before the one live DNS has reached are behind it already (someone finished them by hand, or a run did).
      for (const s of p.steps.slice(0, at)) {
        if (s.status === 'done' || s.status === 'skipped') continue
        s.status = 'skipped'
        s.error = 'skipped: live DNS already showed a later state of the rollback'
      }
      return {kind: 'ok', procedure: p}
    }
  }
  return {
    kind: 'error',
    drift: true,
    message: [
      `rollback: ${plan.domain} MX is not a state this plan ever set, so someone else changed it; nothing was changed`,
      ...describeSet(live.set, plan.domain, 'MX').map((l, i) => `  ${i === 0 ? 'actual:  ' : '         '} ${l}`),
      ...describeSet(originalMx(plan), plan.domain, 'MX').map((l, i) => `  ${i === 0 ? 'original:' : '         '} ${l}`),
    ].join('\n'),
  }
}

/** The index of the first step of the procedure whose MX before- or after-state is what DNS serves, or null. */
function startingPoint(plan: PlanState, procedure: RollbackProcedure, live: RRset | null): number | null {
  for (let i = 0; i < procedure.steps.length; i++) {
    const c = mxChange(plan, procedure.steps[i])
    if (c && (sameRRset(toRRset(c.after), live) || sameRRset(toRRset(c.before), live))) return i
  }
  return null
}

/** The MX every authoritative server serves, once they agree (a secondary may still be catching up with the last step). */
async function agreedMx(plan: PlanState, deps: RunnerDeps): Promise<{kind: 'ok'; set: RRset | null} | {kind: 'error'; message: string}> {
  const timing = {...DEFAULT_TIMING, ...deps.timing}
  const original = originalMx(plan)
  const probe = {name: plan.domain, type: 'MX', before: original, after: original}
  const started = deps.clock.now()
  for (let delay = timing.pollMinMs; ; delay = Math.min(delay * 2, timing.pollMaxMs)) {
    const read = await readLive(deps.client, plan.zone, deps.authServers, [probe], {timeoutMs: timing.queryTimeoutMs})
    const servers = read.changes[0].servers
    const bad = servers.find((s) => s.state === 'unreadable')
    if (bad) return {kind: 'error', message: `rollback: cannot read ${plan.domain} MX from ${serverName(bad.server)} (${bad.problem}); nothing was changed, try again when it answers`}
    const first = servers[0].live
    if (servers.every((s) => sameRRset(s.live, first))) return {kind: 'ok', set: first}
    if (deps.clock.now() - started > timing.convergeTimeoutMs) {
      return {kind: 'error', message: `rollback: the authoritative servers serve different MX RRsets (${servers.map((s) => `${serverName(s.server)}: ${describeSet(s.live, plan.domain, 'MX').join(' | ')}`).join('; ')}); nothing was changed`}
    }
    await deps.clock.sleep(delay, deps.interrupt)
  }
}
