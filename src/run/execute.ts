import {UserError} from '../lib/errors.js'
import {notifyTargetProblem} from '../lib/notify-target.js'
import {assertDigest, planDigest, shortDigest} from '../state/digest.js'
import {readPlanState} from '../state/file.js'
import {planPaths} from '../state/paths.js'
import {dueCheck, NeedsPersonError} from './due.js'
import {describeHolder, readLock} from './lock.js'
import {continueCommand} from './next.js'
import type {RunNotice} from './notify.js'
import {outcomeExitCode, outcomeText, statusText} from './report.js'
import type {RollbackOutcome} from './rollback.js'
import type {RunOutcome} from './runner.js'
import type {DnsOverrides, Session, SessionOptions} from './session.js'
import {shownPath, statusOf, type StatusReport} from './status.js'

/*
 * run, resume and rollback. The runner, the DNS hosts, the resolvers and the
 * prompts are imported only once a plan is really run: `resume --if-due`
 * from a timer that finds nothing due reads two files and exits.
 */

export interface RunCommandResult {
  plan: string
  domain: string
  /** sha256 of the plan's steps, changes and rollback (what was reviewed). */
  digest: string
  outcome: RunOutcome | {kind: 'busy'; pid: number} | {kind: 'held'; step: string | null; reason: string} | {kind: 'not-started'; step: string}
  rollback?: RollbackOutcome
  status: StatusReport
}

export interface Executed {
  json: RunCommandResult
  text: string
  exitCode: number
}

export interface RunCommandOptions {
  mode: 'run' | 'resume'
  yes: boolean
  until?: string
  detach?: boolean
  ifDue?: boolean
  /** The approved digest (--digest): any other plan is refused before anything happens. */
  digest?: string
  /** A timer may start a plan nobody ran yet (one named plan: yes; a directory: no). */
  startNew?: boolean
  bin: string
  json: boolean
  dns: DnsOverrides
  notify?: string[]
  /** Fleet runs: output lines go here, no prompt is shown, warnings are prefixed. */
  write?: (text: string) => void
  warn?: (line: string) => void
  prompts?: boolean
}

/** What the notifier says about how a run ended (nothing for a stop that was asked for). */
function noticeFor(outcome: RunOutcome): RunNotice | null {
  switch (outcome.kind) {
    case 'done':
      return {event: 'done', step: null, message: 'every step is done'}
    case 'rolled-back':
      return {event: 'rolled-back', step: null, message: 'the original MX and its TTL are served by every authoritative server'}
    case 'paused':
      return {event: 'paused', step: outcome.step, message: outcome.reason}
    case 'drift':
      return {event: 'drift', step: outcome.step, message: outcome.message}
    case 'failed':
      return {event: 'failed', step: outcome.step, message: outcome.message}
    case 'aborted':
      return {event: 'failed', step: outcome.step, message: `aborted at ${outcome.step} by the operator`}
    default:
      return null
  }
}

async function openLazily(planPath: string, options: SessionOptions): Promise<Session> {
  const {openSession} = await import('./session.js')
  return openSession(planPath, options)
}

/** The answer of --if-due when there is nothing to run now; null when the plan is due. */
async function notDueAnswer(planPath: string, options: RunCommandOptions, resumeCommand: string): Promise<Executed | null> {
  const paths = planPaths(planPath)
  const plan = await readPlanState(paths.plan)
  if (options.digest !== undefined) assertDigest(plan, options.digest, planPath)
  const digest = planDigest(plan)
  const lock = await readLock(paths.lock)
  const now = Date.now()
  const check = dueCheck(plan, lock, now, {yes: options.yes, startNew: options.startNew ?? true})
  if (check.kind === 'due') return null
  const status = await statusOf(planPath, options.bin)
  const json = (outcome: RunCommandResult['outcome']): RunCommandResult => ({plan: planPath, domain: plan.domain, digest, outcome, status})
  switch (check.kind) {
    case 'busy':
      return {json: json({kind: 'busy', pid: check.lock.pid}), text: `${describeHolder(planPath, check.lock)}; nothing to do`, exitCode: 0}
    case 'not-due': {
      const outcome: RunOutcome = {kind: 'not-due', step: check.step, due: check.due}
      return {json: json(outcome), text: outcomeText(outcome, resumeCommand, now), exitCode: 0}
    }
    case 'finished':
      return {json: json({kind: check.state === 'done' ? 'done' : 'rolled-back'}), text: `${plan.domain}: ${check.state === 'done' ? 'every step is done' : 'rolled back'}; nothing to do`, exitCode: 0}
    case 'not-started':
      return {json: json({kind: 'not-started', step: check.step}), text: `${plan.domain}: not started; start it with: ${options.bin} run ${shownPath(planPath)}`, exitCode: 0}
    case 'needs-person':
      return {json: json({kind: 'held', step: check.step, reason: check.reason}), text: `${plan.domain}: nothing done: ${check.reason}`, exitCode: 1}
  }
}

/** --notify values are checked before anything runs: a typo must not surface at the checkpoint it was meant to announce. */
function checkNotify(targets: readonly string[] | undefined): void {
  for (const t of targets ?? []) {
    const problem = notifyTargetProblem(t)
    if (problem) throw new UserError(`--notify ${problem}`)
  }
}

export async function executeRun(planPath: string, options: RunCommandOptions): Promise<Executed> {
  checkNotify(options.notify)
  const resumeCommand = `${options.bin} resume ${shownPath(planPath)}`
  if (options.ifDue) {
    // Cheap checks first, no DNS and no lock: a timer calls this often.
    const answer = await notDueAnswer(planPath, options, resumeCommand)
    if (answer) return answer
  }

  const session = await openLazily(planPath, {
    command: `mxcut ${options.mode}`,
    yes: options.yes,
    dns: options.dns,
    write: options.write ?? (options.json ? () => undefined : undefined),
    ...(options.warn ? {warn: options.warn} : {}),
    ...(options.notify ? {notify: options.notify} : {}),
    ...(options.prompts === false ? {prompts: false} : {}),
    ...(options.digest !== undefined ? {digest: options.digest} : {}),
    resumeCommand,
  })
  const digest = planDigest(session.plan)
  session.deps.ui.info(`plan ${shownPath(planPath)}, digest ${shortDigest(digest)}${options.digest !== undefined ? ' (the approved one)' : ''}`)
  const {runPlan} = await import('./runner.js')
  let outcome: RunOutcome
  let next = resumeCommand
  try {
    const r = await runPlan(session.plan, session.deps, {yes: options.yes, until: options.until, detach: options.detach, resume: options.mode === 'resume', ifDue: options.ifDue, resumeCommand})
    outcome = r.outcome
    next = continueCommand(r.plan, resumeCommand)
    const notice = noticeFor(outcome)
    if (notice) session.notifier.send(notice)
  } catch (err) {
    // A checkpoint with nobody to answer it was announced by the step itself; anything else is a failure.
    const message = err instanceof Error ? err.message : String(err)
    if (!(err instanceof NeedsPersonError)) session.notifier.send({event: 'failed', step: null, message})
    throw err
  } finally {
    await session.close()
  }
  const status = await statusOf(planPath, options.bin)
  const text = outcomeText(outcome, next, Date.now())
  return {json: {plan: planPath, domain: status.domain, digest, outcome, status}, text, exitCode: outcomeExitCode(outcome)}
}

export async function executeRollback(planPath: string, options: {yes: boolean; bin: string; json: boolean; dns: DnsOverrides; notify?: string[]}): Promise<Executed> {
  checkNotify(options.notify)
  const resumeCommand = `${options.bin} rollback ${shownPath(planPath)}`
  const before = await readPlanState(planPaths(planPath).plan)
  const ui = await import('./ui.js')
  if (!options.yes) {
    if (!ui.isInteractive()) throw new UserError(`rollback changes live DNS and needs a person to confirm: run it in a terminal, or pass --yes (${resumeCommand} --yes)`)
    const m = before.observed.mx
    const answer = await ui.createPrompter().choose(
      `Roll back ${before.domain}: restore MX ${m.records.map((r) => `${r.priority} ${r.exchange}`).join(', ') || '(none)'} (TTL ${m.ttl ?? '-'} s)?`,
      [
        {value: 'continue', name: 'Roll back now'},
        {value: 'abort', name: 'Cancel'},
      ],
    )
    if (answer !== 'continue') throw new UserError('rollback cancelled; nothing was changed')
  }
  const session = await openLazily(planPath, {command: 'mxcut rollback', yes: true, dns: options.dns, write: options.json ? () => undefined : undefined, resumeCommand, ...(options.notify ? {notify: options.notify} : {})})
  const digest = planDigest(session.plan)
  const {rollbackPlan} = await import('./rollback.js')
  let outcome: RollbackOutcome
  try {
    const r = await rollbackPlan(session.plan, session.deps, {resumeCommand})
    outcome = r.outcome
    if (outcome.kind === 'done') session.notifier.send({event: 'rolled-back', step: null, message: 'the original MX and its TTL are served by every authoritative server'})
    else session.notifier.send({event: outcome.kind === 'paused' ? 'paused' : outcome.kind, step: 'rollback', message: outcome.message})
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

export {statusOf, statusText}
