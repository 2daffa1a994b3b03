import {relative} from 'node:path'
import {UserError} from '../lib/errors.js'
import {describeHolder, holderAlive, readLock} from './lock.js'
import {planPaths} from '../state/paths.js'
import {continueCommand} from './next.js'
import {outcomeExitCode, outcomeText, statusText} from './report.js'
import {rollbackPlan, type RollbackOutcome} from './rollback.js'
import {runPlan, type RunOutcome} from './runner.js'
import {assertDigest, openSession, systemClock, type DnsOverrides} from './session.js'
import {planDigest, shortDigest} from '../state/digest.js'
import {readPlanState} from '../state/file.js'
import {planStatus, type StatusReport} from './status.js'
import {nextStepIndex, notBefore} from './timeline.js'
import {createPrompter, isInteractive} from './ui.js'

export interface RunCommandResult {
  plan: string
  domain: string
  /** sha256 of the plan's steps, changes and rollback (what was reviewed). */
  digest: string
  outcome: RunOutcome | {kind: 'busy'; pid: number}
  rollback?: RollbackOutcome
  status: StatusReport
}

interface Executed {
  json: RunCommandResult
  text: string
  exitCode: number
}

/** How the plan path is shown in commands to type: as given, relative when inside the working directory. */
function shownPath(planPath: string): string {
  const rel = relative(process.cwd(), planPaths(planPath).plan)
  const p = rel.startsWith('..') ? planPaths(planPath).plan : rel
  return /\s/.test(p) ? `'${p}'` : p
}

export async function statusOf(planPath: string, bin: string): Promise<StatusReport> {
  const paths = planPaths(planPath)
  const plan = await readPlanState(paths.plan)
  const lock = await readLock(paths.lock)
  return planStatus(plan, {planPath, lock, now: systemClock.now(), resumeCommand: `${bin} resume ${shownPath(planPath)}`})
}

export async function executeRun(
  planPath: string,
  options: {mode: 'run' | 'resume'; yes: boolean; until?: string; detach?: boolean; ifDue?: boolean; digest?: string; bin: string; json: boolean; dns: DnsOverrides},
): Promise<Executed> {
  const resumeCommand = `${options.bin} resume ${shownPath(planPath)}`
  const paths = planPaths(planPath)

  if (options.ifDue) {
    // Cheap checks first, no DNS and no lock: a timer calls this often.
    const plan = await readPlanState(paths.plan)
    if (options.digest !== undefined) assertDigest(plan, options.digest, planPath)
    const digest = planDigest(plan)
    const lock = await readLock(paths.lock)
    if (lock && holderAlive(lock)) {
      const status = await statusOf(planPath, options.bin)
      return {json: {plan: planPath, domain: plan.domain, digest, outcome: {kind: 'busy', pid: lock.pid}, status}, text: `${describeHolder(planPath, lock)}; nothing to do`, exitCode: 0}
    }
    const i = nextStepIndex(plan)
    const nb = i === null ? null : notBefore(plan, plan.steps[i])
    if (i !== null && nb?.kind === 'at' && nb.at > systemClock.now()) {
      const outcome: RunOutcome = {kind: 'not-due', step: plan.steps[i].id, due: nb.at}
      const status = await statusOf(planPath, options.bin)
      return {json: {plan: planPath, domain: plan.domain, digest, outcome, status}, text: outcomeText(outcome, resumeCommand, systemClock.now()), exitCode: 0}
    }
  }

  const session = await openSession(planPath, {command: `mxcut ${options.mode}`, yes: options.yes, dns: options.dns, write: options.json ? () => undefined : undefined, ...(options.digest !== undefined ? {digest: options.digest} : {})})
  const digest = planDigest(session.plan)
  session.deps.ui.info(`plan ${shownPath(planPath)}, digest ${shortDigest(digest)}${options.digest !== undefined ? ' (the approved one)' : ''}`)
  let outcome: RunOutcome
  let next = resumeCommand
  try {
    const r = await runPlan(session.plan, session.deps, {yes: options.yes, until: options.until, detach: options.detach, resume: options.mode === 'resume', ifDue: options.ifDue, resumeCommand})
    outcome = r.outcome
    next = continueCommand(r.plan, resumeCommand)
  } finally {
    await session.close()
  }
  const status = await statusOf(planPath, options.bin)
  const text = outcomeText(outcome, next, systemClock.now())
  return {json: {plan: planPath, domain: status.domain, digest, outcome, status}, text, exitCode: outcomeExitCode(outcome)}
}

export async function executeRollback(planPath: string, options: {yes: boolean; bin: string; json: boolean; dns: DnsOverrides}): Promise<Executed> {
  const resumeCommand = `${options.bin} rollback ${shownPath(planPath)}`
  const before = await readPlanState(planPaths(planPath).plan)
  if (!options.yes) {
    if (!isInteractive()) throw new UserError(`rollback changes live DNS and needs a person to confirm: run it in a terminal, or pass --yes (${resumeCommand} --yes)`)
    const m = before.observed.mx
    const answer = await createPrompter().choose(
      `Roll back ${before.domain}: restore MX ${m.records.map((r) => `${r.priority} ${r.exchange}`).join(', ') || '(none)'} (TTL ${m.ttl ?? '-'} s)?`,
      [
        {value: 'continue', name: 'Roll back now'},
        {value: 'abort', name: 'Cancel'},
      ],
    )
    if (answer !== 'continue') throw new UserError('rollback cancelled; nothing was changed')
  }
  const session = await openSession(planPath, {command: 'mxcut rollback', yes: true, dns: options.dns, write: options.json ? () => undefined : undefined})
  const digest = planDigest(session.plan)
  let outcome: RollbackOutcome
  try {
    const r = await rollbackPlan(session.plan, session.deps, {resumeCommand})
    outcome = r.outcome
  } finally {
    await session.close()
  }
  const status = await statusOf(planPath, options.bin)
  const text =
    outcome.kind === 'done'
      ? `rolled back ${status.domain}: the original MX and its TTL are served by every authoritative server${outcome.changed ? '' : ' (DNS already showed them)'}`
      : outcome.kind === 'paused'
        ? `rollback paused: ${outcome.message}\ncontinue with: ${resumeCommand}`
        : `rollback stopped${outcome.kind === 'drift' ? ' (drift)' : ''}: ${outcome.message}`
  return {json: {plan: planPath, domain: status.domain, digest, outcome: outcome.kind === 'done' ? {kind: 'rolled-back'} : outcome.kind === 'paused' ? {kind: 'paused', step: 'rollback', reason: outcome.message} : {kind: outcome.kind, step: 'rollback', message: outcome.message}, rollback: outcome, status}, text, exitCode: outcome.kind === 'drift' || outcome.kind === 'failed' ? 1 : 0}
}

export {statusText}
