import {formatClock, formatWhen} from '../lib/time.js'
import type {PlanState, Step} from '../state/schema.js'
import {NeedsPersonError} from './due.js'
import type {JournalEntry} from './journal.js'
import {STEP_HANDLERS} from './steps/table.js'
import type {StepOptions, StepResult} from './steps/types.js'
import {notBefore} from './timeline.js'
import type {RunnerDeps} from './types.js'

export interface SequenceOptions extends StepOptions {
  /** Stop after this step. */
  until?: string
  /** At a wait that is not over: exit at once, telling when to resume. */
  detach?: boolean
}

/** How a sequence of steps stopped, or that it ran to its end. */
export type SequenceOutcome =
  | {kind: 'done'}
  | {kind: 'until'; step: string}
  | {kind: 'paused'; step: string; reason: string; due?: number}
  | {kind: 'detached'; step: string; due: number}
  | {kind: 'drift'; step: string; message: string}
  | {kind: 'failed'; step: string; message: string}
  | {kind: 'aborted'; step: string}
  | {kind: 'rollback'; step: string}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Runs steps in order from the first one not done, each through the handler
 * of its kind. Every transition is saved and journaled before the next thing
 * happens, so a process killed at any instant leaves a state to resume from.
 * The forward plan and each stored rollback procedure run through here.
 */
export async function runSequence(plan: PlanState, sequence: Step[], deps: RunnerDeps, options: SequenceOptions, openIntents: JournalEntry[]): Promise<SequenceOutcome> {
  const now = () => deps.clock.now()
  const save = () => deps.save(plan)
  // Only a person's answer at a checkpoint holds the plan; an interrupted run (Ctrl-C, SIGTERM) may be continued by a timer.
  const pause = async (step: Step, reason: string, due?: number, byPerson = false): Promise<SequenceOutcome> => {
    plan.pausedAt = iso(now())
    if (byPerson) plan.pausedBy = 'person'
    else delete plan.pausedBy
    await save()
    await deps.journal.append({event: 'paused', step: step.id, message: reason})
    return {kind: 'paused', step: step.id, reason, ...(due !== undefined ? {due} : {})}
  }

  for (let i = 0; i < sequence.length; i++) {
    const step = sequence[i]
    if (step.status === 'done' || step.status === 'skipped') continue
    if (deps.interrupt?.aborted) return pause(step, 'interrupted before the step started')
    deps.ui.step(step, i, sequence.length)

    const timing = await keepTime(plan, step, deps, options)
    if (timing) return timing.kind === 'pause' ? pause(step, timing.reason, timing.due) : timing.outcome

    if (step.status !== 'running') {
      step.status = 'running'
      step.startedAt = iso(now())
      await save()
    }
    await deps.journal.append({event: 'step-start', step: step.id, kind: step.kind})
    const openIntent = openIntents.filter((e) => e.step === step.id).at(-1)
    const result = await STEP_HANDLERS[step.kind]({plan, step, sequence, index: i, deps, options, ...(openIntent ? {openIntent} : {})})
    const stopped = await settle(plan, step, result, deps, pause)
    if (stopped) return stopped

    if (options.until === step.id) {
      plan.pausedAt = iso(now())
      plan.pausedBy = 'until'
      await save()
      await deps.journal.append({event: 'paused', step: step.id, message: `stopped after ${step.id} as asked (--until)`})
      return {kind: 'until', step: step.id}
    }
  }
  return {kind: 'done'}
}

type Timing = {kind: 'pause'; reason: string; due: number} | {kind: 'stop'; outcome: SequenceOutcome}

/** A step with wait rules never starts before they allow: wait (with a countdown), detach, or pause on Ctrl-C. */
async function keepTime(plan: PlanState, step: Step, deps: RunnerDeps, options: SequenceOptions): Promise<Timing | null> {
  const now = () => deps.clock.now()
  const nb = notBefore(plan, step)
  if (nb.kind === 'unknown') return {kind: 'stop', outcome: await fail(plan, step, deps, 'failed', `step ${step.id} waits for ${nb.waitingFor}, which has not finished`)}
  if (nb.kind !== 'at') return null
  if (step.notBefore !== iso(nb.at)) step.notBefore = iso(nb.at)
  if (step.status !== 'running') {
    step.status = 'running'
    step.startedAt = iso(now())
  }
  await deps.save(plan)
  if (nb.at <= now()) {
    deps.ui.info(`wait over since ${formatClock(nb.at)}`)
    return null
  }
  await deps.journal.append({event: 'wait', step: step.id, notBefore: iso(nb.at), message: nb.reason})
  if (options.detach) {
    await deps.journal.append({event: 'detached', step: step.id, notBefore: iso(nb.at)})
    return {kind: 'stop', outcome: {kind: 'detached', step: step.id, due: nb.at}}
  }
  const waited = waitUntil(deps, nb.at)
  await deps.ui.countdown(`${step.title}: ${nb.reason}`, nb.at, now, waited)
  await waited
  if (now() < nb.at) return {kind: 'pause', reason: `paused during the wait; it is over ${formatWhen(nb.at, now())}`, due: nb.at}
  return null
}

/** Sleeps until `due` on the runner's clock (never less), or until interrupted. */
async function waitUntil(deps: RunnerDeps, due: number): Promise<void> {
  while (deps.clock.now() < due) {
    if (deps.interrupt?.aborted) return
    // Short slices keep an interrupt prompt; the clock decides when it is over.
    await deps.clock.sleep(Math.min(due - deps.clock.now(), 60_000), deps.interrupt)
  }
}

async function fail(plan: PlanState, step: Step, deps: RunnerDeps, kind: 'failed' | 'drift', message: string): Promise<SequenceOutcome> {
  step.status = 'failed'
  step.error = message.split('\n')[0]
  await deps.save(plan)
  await deps.journal.append({event: 'step-failed', step: step.id, message: step.error})
  return {kind, step: step.id, message}
}

/** Turns a handler's result into the step's status, the journal, and (unless it finished) how the sequence stops. */
async function settle(
  plan: PlanState,
  step: Step,
  result: StepResult,
  deps: RunnerDeps,
  pause: (step: Step, reason: string, due?: number, byPerson?: boolean) => Promise<SequenceOutcome>,
): Promise<SequenceOutcome | null> {
  switch (result.kind) {
    case 'done':
      step.status = 'done'
      step.finishedAt = iso(result.at ?? deps.clock.now())
      delete step.error
      if (result.evidence !== undefined) step.evidence = result.evidence
      deps.failpoint?.(`before-save:${step.id}`)
      await deps.save(plan)
      await deps.journal.append({event: 'step-done', step: step.id})
      deps.ui.ok(`${step.id}: ${result.summary}`)
      return null
    case 'failed':
    case 'drift':
      return fail(plan, step, deps, result.kind, result.message)
    case 'paused':
      if (result.reset) {
        step.status = 'pending'
        delete step.startedAt
      }
      return pause(step, result.reason, undefined, result.byPerson === true)
    case 'aborted':
      step.status = 'failed'
      step.error = 'aborted at the checkpoint by the operator'
      await deps.save(plan)
      await deps.journal.append({event: 'step-failed', step: step.id, message: step.error})
      return {kind: 'aborted', step: step.id}
    case 'rollback':
      step.status = 'pending'
      delete step.startedAt
      await deps.save(plan)
      return {kind: 'rollback', step: step.id}
    case 'needs-person':
      step.status = 'pending'
      delete step.startedAt
      plan.pausedAt = iso(deps.clock.now())
      plan.pausedBy = 'no-terminal'
      await deps.save(plan)
      await deps.journal.append({event: 'paused', step: step.id, message: 'checkpoint needs an answer and there is no terminal'})
      throw new NeedsPersonError(result.message)
    case 'error':
      await fail(plan, step, deps, 'failed', result.error.message)
      throw result.error
  }
}
