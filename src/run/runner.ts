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
 * step left (the last one to touch it wins). Anything else is drift.
 */
async function checkDoneSteps(plan: PlanState, deps: RunnerDeps): Promise<{step: string; message: string} | null> {
  const expected = new Map<string, {step: Step; change: NonNullable<Step['changes']>[number]}>()
  const inFlight = new Set<string>()
  for (const s of plan.steps) {
    for (const c of s.changes ?? []) {
      const key = `${c.name.toLowerCase()} ${c.type}`
      if (s.status === 'done') expected.set(key, {step: s, change: c})
      else if (s.status === 'running' || s.status === 'failed') inFlight.add(key)
    }
  }
  for (const key of inFlight) expected.delete(key)
  if (expected.size === 0) return null
  const items = [...expected.values()]
  // Compare against the after-state only: before = after makes anything else "other".
  const read = await readLive(deps.client, plan.zone, deps.authServers, items.map((x) => ({...x.change, before: x.change.after})), {timeoutMs: deps.timing?.queryTimeoutMs})
  const lines: string[] = []
  for (const [n, cs] of read.changes.entries()) {
    const {step, change} = items[n]
    for (const s of cs.servers) {
      if (s.state === 'after') continue
      if (s.state === 'unreadable') throw new UserError(`cannot check for drift: ${serverName(s.server)} ${s.problem}; try again when every authoritative server answers`)
      lines.push(`drift since step ${step.id}: ${change.name} ${change.type} on ${serverName(s.server)} is not what that step left`)
      lines.push(...labelled('expected', describeSet(change.after, change.name, change.type)))
      lines.push(...labelled('actual', describeSet(s.live, change.name, change.type)))
    }
  }
  if (lines.length === 0) {
    await deps.journal.append({event: 'drift-check', message: `${items.length} RRset${items.length > 1 ? 's' : ''} set by finished steps are unchanged`})
    deps.ui.ok(`drift check: ${items.length} RRset${items.length > 1 ? 's' : ''} set by finished steps unchanged on every authoritative server`)
    return null
  }
  lines.push('nothing was changed: find out who edited these records and put them back, or roll back (mxcut rollback) or make a new plan')
  const first = items[0].step
  await deps.journal.append({event: 'drift', step: first.id, message: lines[0]})
  return {step: first.id, message: lines.join('\n')}
}

function labelled(label: string, lines: string[]): string[] {
  return lines.map((l, i) => `  ${(i === 0 ? `${label}:` : '').padEnd(9)} ${l}`)
}
