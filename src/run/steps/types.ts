import type {UserError} from '../../lib/errors.js'
import type {PlanState, Step, StepKind} from '../../state/schema.js'
import type {JournalEntry} from '../journal.js'
import type {RunnerDeps} from '../types.js'

/** What every step handler may need to know about the run it is part of. */
export interface StepOptions {
  /** Answer every checkpoint with "continue" (unattended runs). */
  yes?: boolean
  /** The exact command that continues this plan, for messages. */
  resumeCommand: string
}

export interface StepContext {
  plan: PlanState
  step: Step
  /** The steps `step` belongs to, in order: the forward plan, or one stored rollback procedure. */
  sequence: Step[]
  index: number
  deps: RunnerDeps
  options: StepOptions
  /** This step's last intent from a run that stopped before journaling its outcome. */
  openIntent?: JournalEntry
}

/** How a step ended; the loop around the handlers turns it into the step's status, the journal and the outcome. */
export type StepResult =
  | {kind: 'done'; summary: string; evidence?: unknown; at?: number}
  | {kind: 'failed'; message: string}
  | {kind: 'drift'; message: string}
  /** reset: the step had not started its work (an unanswered checkpoint) and goes back to pending; byPerson: a person chose to pause, and the pause holds against timers. */
  | {kind: 'paused'; reason: string; reset?: boolean; byPerson?: boolean}
  | {kind: 'aborted'}
  | {kind: 'rollback'}
  /** A checkpoint with nobody to answer it: the run stops with this one-line error (exit 2). */
  | {kind: 'needs-person'; message: string}
  /** The DNS host failed: recorded as a failed step, then raised so the command exits 2 with its message. */
  | {kind: 'error'; error: UserError}

export type StepHandler = (ctx: StepContext) => Promise<StepResult>

/** One handler per step kind: a kind without a handler does not compile. */
export type StepTable = {readonly [K in StepKind]: StepHandler}
