import {UserError} from '../lib/errors.js'
import type {PlanState} from '../state/schema.js'
import {holderAlive, type LockInfo} from './lock.js'
import {nextStepIndex, notBefore} from './timeline.js'

/**
 * What a timer (`resume --if-due`, one plan or a directory of them) may do
 * with a plan now, from the plan file and its lock alone: no DNS, no lock
 * taken. A plan that waits for a person is left alone, so a timer never
 * overrides a person's pause nor retries a failure every few minutes.
 */
export type DueCheck =
  | {kind: 'due'; step: string}
  | {kind: 'busy'; lock: LockInfo}
  | {kind: 'not-due'; step: string; due: number}
  | {kind: 'finished'; state: 'done' | 'rolled-back'}
  | {kind: 'not-started'; step: string}
  | {kind: 'needs-person'; step: string | null; reason: string}

export function dueCheck(plan: PlanState, lock: LockInfo | null, now: number, options: {yes: boolean; startNew: boolean}): DueCheck {
  if (lock && holderAlive(lock)) return {kind: 'busy', lock}
  if (plan.rollback?.status === 'done') return {kind: 'finished', state: 'rolled-back'}
  if (plan.rollback) return {kind: 'needs-person', step: 'rollback', reason: `a rollback ${plan.rollback.status === 'failed' ? `failed (${plan.rollback.error ?? 'see the journal'})` : 'stopped half way'}; finish it with mxcut rollback`}
  const i = nextStepIndex(plan)
  if (i === null) return {kind: 'finished', state: 'done'}
  const step = plan.steps[i]
  const failed = plan.steps.find((s) => s.status === 'failed')
  if (failed) return {kind: 'needs-person', step: failed.id, reason: `step ${failed.id} failed: ${failed.error ?? 'see mxcut status'}`}
  if (plan.pausedBy === 'person') return {kind: 'needs-person', step: step.id, reason: `paused by a person at ${step.id}; continue it with mxcut resume (without --if-due)`}
  if (plan.pausedBy === 'until') return {kind: 'needs-person', step: step.id, reason: `stopped before ${step.id} as asked (--until); continue it with mxcut resume (without --if-due)`}
  if (step.kind === 'checkpoint' && plan.pausedBy === 'no-terminal' && !options.yes) return {kind: 'needs-person', step: step.id, reason: `checkpoint ${step.id} waits for an answer: run mxcut resume in a terminal (or with --yes)`}
  if (!options.startNew && plan.steps.every((s) => s.status === 'pending')) return {kind: 'not-started', step: step.id}
  const nb = notBefore(plan, step)
  if (nb.kind === 'at' && nb.at > now) return {kind: 'not-due', step: step.id, due: nb.at}
  return {kind: 'due', step: step.id}
}

/** A checkpoint reached with nobody to answer it (no terminal, no --yes): the run stops, exit 2. */
export class NeedsPersonError extends UserError {
  constructor(message: string) {
    super(message)
    this.name = 'NeedsPersonError'
  }
}
