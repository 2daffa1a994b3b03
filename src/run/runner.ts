import {UserError} from '../lib/errors.js'
import {formatWhen} from '../lib/time.js'
import type {PlanState, Step} from '../state/schema.js'
import {checkHost} from './change.js'
import {openIntents} from './journal.js'
import {describeSet, readLive, serverName} from './live.js'
import {rollbackCommand} from './next.js'
import {rollbackPlan} from './rollback.js'
import {runSequence, type SequenceOptions, type SequenceOutcome} from './sequence.js'
import {nextStepIndex, notBefore} from './timeline.js'
import type {RunnerDeps} from './types.js'

export interface RunOptions extends SequenceOptions {
  /** Check everything done so far against live DNS before continuing. */
  resume?: boolean
  /** Do nothing (and say so) when the next step is not due yet. */
  ifDue?: boolean
}

export type RunOutcome =
  | Exclude<SequenceOutcome, {kind: 'rollback'}>
  | {kind: 'not-due'; step: string; due: number}
  | {kind: 'rolled-back'}

export interface RunResult {
  outcome: RunOutcome
  plan: PlanState
}

/**
 * Carries out a plan from its next step (src/run/sequence.ts runs the steps),
 * after the checks a run owes the plan: no rollback under way, the DNS host's
 * credentials, and on resume the RRsets finished steps set. A rollback asked
 * for at a checkpoint runs the procedure stored in the plan.
 */
export async function runPlan(input: PlanState, deps: RunnerDeps, options: RunOptions): Promise<RunResult> {
  const plan: PlanState = structuredClone(input)
  const now = () => deps.clock.now()
  if (plan.rollback) {
    throw new UserError(
      plan.rollback.status === 'done'
        ? `plan ${plan.id} was rolled back ${formatWhen(Date.parse(plan.rollback.finishedAt ?? plan.rollback.startedAt), now())}; make a new plan to try the cutover again`
        : `plan ${plan.id} has a rollback that did not finish; finish it with: ${rollbackCommand(options.resumeCommand)}`,
    )
  }
  if (options.until && !plan.steps.some((s) => s.id === options.until)) {
    throw new UserError(`--until ${options.until}: no such step; the steps are ${plan.steps.map((s) => s.id).join(', ')}`)
  }
  const first = nextStepIndex(plan)
  if (first === null) return {outcome: {kind: 'done'}, plan}
  if (options.ifDue) {
    const step = plan.steps[first]
    const nb = notBefore(plan, step)
    if (nb.kind === 'at' && nb.at > now()) {
      deps.ui.info(`next step ${step.id} is due ${formatWhen(nb.at, now())}; nothing to do yet`)
      return {outcome: {kind: 'not-due', step: step.id, due: nb.at}, plan}
    }
  }

  await deps.journal.append({event: 'run-start', message: options.resume ? 'resume' : 'run', from: plan.steps[first].id})
  const last = options.until ? plan.steps.findIndex((s) => s.id === options.until) : plan.steps.length - 1
  if (plan.steps.slice(first, last + 1).some((s) => s.kind === 'dns-change' && s.status !== 'done' && s.status !== 'skipped')) await checkHost(deps)
  if (plan.pausedAt || plan.pausedBy) {
    delete plan.pausedAt
    delete plan.pausedBy
    await deps.save(plan)
  }
  if (plan.drift && !options.resume) {
    // run does not check finished steps (resume does): the person chose to go on; each change still checks its own RRsets.
    const was = plan.drift
    delete plan.drift
    await deps.save(plan)
    deps.ui.warn(`resume found drift since ${was.step} (${formatWhen(Date.parse(was.detectedAt), now())}); run does not check finished steps again, each change still checks its own records`)
    await deps.journal.append({event: 'drift-check', step: was.step, message: `recorded drift left unchecked by run: ${was.message}`})
  }
  if (options.resume) {
    const drift = await checkDoneSteps(plan, deps)
    if (drift) {
      deps.ui.warn(drift.message)
      return {outcome: {kind: 'drift', ...drift}, plan}
    }
  }

  const outcome = await runSequence(plan, plan.steps, deps, options, openIntents(deps.previousJournal ?? []))
  if (outcome.kind === 'rollback') {
    const rolled = await rollbackPlan(plan, deps, {resumeCommand: rollbackCommand(options.resumeCommand)})
    const o = rolled.outcome
    if (o.kind === 'done') return {outcome: {kind: 'rolled-back'}, plan: rolled.plan}
    if (o.kind === 'paused') return {outcome: {kind: 'paused', step: 'rollback', reason: o.message}, plan: rolled.plan}
    return {outcome: {kind: o.kind, step: 'rollback', message: o.message}, plan: rolled.plan}
  }
  if (outcome.kind === 'done') await deps.journal.append({event: 'run-end', message: 'all steps done'})
  return {outcome, plan}
}

/**
 * Before resuming: every RRset a finished step set must still be what that
 * step left (the last one to touch it wins), or already what the next
 * planned change of it sets (made by hand ahead of the run: that step finds
 * it applied, as `run` would). Anything else is drift: journaled, recorded
 * in the plan so `status` tells it, and the run stops.
 */
async function checkDoneSteps(plan: PlanState, deps: RunnerDeps): Promise<{step: string; message: string} | null> {
  const items = finishedChanges(plan)
  if (items.length === 0) return clearDrift(plan, deps)
  // A server showing the change's "before" here shows the next planned state of the RRset.
  const probes = items.map((x) => ({...x.change, before: x.ahead?.after ?? x.change.after}))
  const read = await readLive(deps.client, plan.zone, deps.authServers, probes, {timeoutMs: deps.timing?.queryTimeoutMs})
  const lines: string[] = []
  const ahead = new Set<string>()
  for (const [n, cs] of read.changes.entries()) {
    const {step, change} = items[n]
    for (const s of cs.servers) {
      if (s.state === 'after') continue
      if (s.state === 'before' && items[n].ahead) {
        ahead.add(`${change.name} ${change.type} (${items[n].ahead?.step})`)
        continue
      }
      if (s.state === 'unreadable') throw new UserError(`cannot check for drift: ${serverName(s.server)} ${s.problem}; try again when every authoritative server answers`)
      lines.push(`drift since step ${step.id}: ${change.name} ${change.type} on ${serverName(s.server)} is not what that step left`)
      lines.push(...labelled('expected', describeSet(change.after, change.name, change.type)))
      lines.push(...labelled('actual', describeSet(s.live, change.name, change.type)))
    }
  }
  if (lines.length === 0) {
    const n = items.length
    const note = ahead.size > 0 ? `; already as the next planned change sets it (made ahead of the run): ${[...ahead].join(', ')}` : ''
    await deps.journal.append({event: 'drift-check', message: `${n} RRset${n > 1 ? 's' : ''} set by finished steps are unchanged${note}`})
    deps.ui.ok(`drift check: ${n} RRset${n > 1 ? 's' : ''} set by finished steps unchanged on every authoritative server${note}`)
    return clearDrift(plan, deps)
  }
  lines.push('nothing was changed: find out who edited these records and put them back, or roll back (mxcut rollback) or make a new plan')
  const first = items[0].step
  await deps.journal.append({event: 'drift', step: first.id, message: lines[0]})
  plan.drift = {step: first.id, detectedAt: new Date(deps.clock.now()).toISOString(), message: lines[0]}
  await deps.save(plan)
  return {step: first.id, message: lines.join('\n')}
}

type Change = NonNullable<Step['changes']>[number]

/** The last change finished steps made to each RRset (none for one a step left in flight), with the next planned change of it, if any. */
function finishedChanges(plan: PlanState): Array<{step: Step; change: Change; ahead?: {step: string; after: Change['after']}}> {
  const expected = new Map<string, {step: Step; change: Change; ahead?: {step: string; after: Change['after']}}>()
  const inFlight = new Set<string>()
  for (const s of plan.steps) {
    for (const c of s.changes ?? []) {
      const key = `${c.name.toLowerCase()} ${c.type}`
      if (s.status === 'done') expected.set(key, {step: s, change: c})
      else if (s.status === 'running' || s.status === 'failed') inFlight.add(key)
      else if (s.status === 'pending') {
        const done = expected.get(key)
        if (done && !done.ahead) done.ahead = {step: s.id, after: c.after}
      }
    }
  }
  for (const key of inFlight) expected.delete(key)
  return [...expected.values()]
}

async function clearDrift(plan: PlanState, deps: RunnerDeps): Promise<null> {
  if (plan.drift) {
    delete plan.drift
    await deps.save(plan)
  }
  return null
}

function labelled(label: string, lines: string[]): string[] {
  return lines.map((l, i) => `  ${(i === 0 ? `${label}:` : '').padEnd(9)} ${l}`)
}
