import {relative} from 'node:path'
import {readPlanState} from '../state/file.js'
import {planPaths} from '../state/paths.js'
import type {PlanState, StepKind, StepStatus} from '../state/schema.js'
import {planDigest} from '../state/digest.js'
import {decommissionSafe} from '../state/decommission.js'
import {keepSourceLine} from './continuity.js'
import {holderAlive, readLock, type LockInfo} from './lock.js'
import {continueCommand} from './next.js'
import {nextStepIndex, notBefore} from './timeline.js'

export type PlanRunState = 'planned' | 'running' | 'waiting' | 'paused' | 'done' | 'failed' | 'rolled-back'

/** The `status --json` shape (DESIGN.md "JSON shapes"), with a few additive fields. */
export interface StatusReport {
  domain: string
  plan: string
  state: PlanRunState
  steps: Array<{id: string; kind: StepKind; title: string; status: StepStatus; notBefore: string | null; startedAt: string | null; finishedAt: string | null; error: string | null}>
  next: {id: string; title: string; due: string | null; dueKnown: boolean} | null
  lock: {pid: number; command: string; startedAt: string; host: string} | null
  pausedAt: string | null
  rollback: PlanState['rollback'] | null
  /** What to type to continue, when there is something to continue. */
  resumeCommand: string | null
  /** sha256 of the plan's steps, changes and rollback: the one `run --digest` expects. */
  digest: string
  /** Drift resume found among finished steps (the records they set were changed since): a person must look. */
  drift: {step: string; detectedAt: string; message: string} | null
  /** Once the swap is done: until when the source must keep accepting mail (ISO; src/state/decommission.ts). */
  decommissionSafeAt: string | null
  /** The same as a sentence, with why. */
  keepSource: string | null
}

export function planStatus(plan: PlanState, options: {planPath: string; lock: LockInfo | null; now: number; resumeCommand: string}): StatusReport {
  const live = options.lock && holderAlive(options.lock) ? options.lock : null
  const nextIndex = nextStepIndex(plan)
  const next = nextIndex === null ? null : plan.steps[nextIndex]
  const nb = next ? notBefore(plan, next) : null
  const due = nb?.kind === 'at' ? nb.at : null
  const safe = decommissionSafe(plan)

  let state: PlanRunState
  if (plan.rollback?.status === 'done') state = 'rolled-back'
  else if (plan.rollback?.status === 'failed') state = 'failed'
  else if (plan.rollback?.status === 'running') state = live ? 'running' : 'failed'
  else if (next === null) state = 'done'
  else if (plan.steps.some((s) => s.status === 'failed') || (plan.drift && !live)) state = 'failed'
  else if (live) state = due !== null && due > options.now ? 'waiting' : 'running'
  else if (plan.pausedAt) state = 'paused'
  else if (due !== null && due > options.now) state = 'waiting'
  else if (plan.steps.every((s) => s.status === 'pending')) state = 'planned'
  // Started, not finished, nobody running it and nothing to wait for: a run stopped (crash, Ctrl-C) and resume continues it.
  else state = 'paused'

  return {
    domain: plan.domain,
    plan: options.planPath,
    state,
    steps: plan.steps.map((s) => {
      const snb = s.status === 'done' || s.status === 'skipped' ? null : notBefore(plan, s)
      return {
        id: s.id,
        kind: s.kind,
        title: s.title,
        status: s.status,
        notBefore: snb?.kind === 'at' ? new Date(snb.at).toISOString() : (s.notBefore ?? null),
        startedAt: s.startedAt ?? null,
        finishedAt: s.finishedAt ?? null,
        error: s.error ?? null,
      }
    }),
    next: next ? {id: next.id, title: next.title, due: due === null ? null : new Date(due).toISOString(), dueKnown: nb?.kind !== 'unknown'} : null,
    lock: live ? {pid: live.pid, command: live.command, startedAt: live.startedAt, host: live.host} : null,
    pausedAt: plan.pausedAt ?? null,
    rollback: plan.rollback ?? null,
    decommissionSafeAt: safe ? new Date(safe.at).toISOString() : null,
    keepSource: keepSourceLine(plan, options.now),
    resumeCommand: state === 'done' || state === 'rolled-back' || state === 'running' || state === 'planned' ? null : continueCommand(plan, options.resumeCommand),
    digest: planDigest(plan),
    drift: plan.drift ?? null,
  }
}

/** How the plan path is shown in commands to type: as given, relative when inside the working directory. */
export function shownPath(planPath: string): string {
  const rel = relative(process.cwd(), planPaths(planPath).plan)
  const p = rel.startsWith('..') ? planPaths(planPath).plan : rel
  return /\s/.test(p) ? `'${p}'` : p
}

/** `mxcut status PLAN`: the plan file and its lock, no DNS (kept light: cron calls it often). */
export async function statusOf(planPath: string, bin: string): Promise<StatusReport> {
  const paths = planPaths(planPath)
  const plan = await readPlanState(paths.plan)
  const lock = await readLock(paths.lock)
  return planStatus(plan, {planPath, lock, now: Date.now(), resumeCommand: `${bin} resume ${shownPath(planPath)}`})
}
