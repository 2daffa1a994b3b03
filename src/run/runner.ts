import {UserError} from '../lib/errors.js'
import {formatClock, formatDuration, formatWhen} from '../lib/time.js'
import type {PlanState, Step} from '../state/schema.js'
import {checkHost, performChange} from './change.js'
import {openIntents} from './journal.js'
import {describeSet, diffLines, readLive, serverName} from './live.js'
import {runPreflight} from './preflight.js'
import {rollbackPlan} from './rollback.js'
import {nextStepIndex, notBefore} from './timeline.js'
import type {CheckpointAnswer, Choice, RunnerDeps} from './types.js'

export interface RunOptions {
  /** Answer every checkpoint with "continue" (unattended runs). */
  yes?: boolean
  /** Stop after this step. */
  until?: string
  /** At a wait that is not over: exit at once, telling when to resume. */
  detach?: boolean
  /** Check everything done so far against live DNS before continuing. */
  resume?: boolean
  /** Do nothing (and say so) when the next step is not due yet. */
  ifDue?: boolean
  /** The exact command that continues this plan, for messages. */
  resumeCommand: string
}

export type RunOutcome =
  | {kind: 'done'}
  | {kind: 'until'; step: string}
  | {kind: 'paused'; step: string; reason: string; due?: number}
  | {kind: 'detached'; step: string; due: number}
  | {kind: 'not-due'; step: string; due: number}
  | {kind: 'drift'; step: string; message: string}
  | {kind: 'failed'; step: string; message: string}
  | {kind: 'aborted'; step: string}
  | {kind: 'rolled-back'}

export interface RunResult {
  outcome: RunOutcome
  plan: PlanState
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Carries out a plan from its next step: each step's status is saved (and
 * journaled) on every transition, so a process killed at any instant leaves
 * a state that resume can continue from.
 */
export async function runPlan(input: PlanState, deps: RunnerDeps, options: RunOptions): Promise<RunResult> {
  const plan: PlanState = structuredClone(input)
  const now = () => deps.clock.now()
  const save = () => deps.save(plan)

  if (plan.rollback) {
    throw new UserError(
      plan.rollback.status === 'done'
        ? `plan ${plan.id} was rolled back ${formatWhen(Date.parse(plan.rollback.finishedAt ?? plan.rollback.startedAt), now())}; make a new plan to try the cutover again`
        : `plan ${plan.id} has a rollback that did not finish; finish it with: ${options.resumeCommand.replace(/ resume /, ' rollback ')}`,
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
  if (plan.pausedAt) {
    delete plan.pausedAt
    await save()
  }

  if (options.resume) {
    const drift = await checkDoneSteps(plan, deps)
    if (drift) {
      deps.ui.warn(drift.message)
      return {outcome: {kind: 'drift', ...drift}, plan}
    }
  }

  const pause = async (step: Step, reason: string, due?: number): Promise<RunResult> => {
    plan.pausedAt = iso(now())
    await save()
    await deps.journal.append({event: 'paused', step: step.id, message: reason})
    return {outcome: {kind: 'paused', step: step.id, reason, ...(due !== undefined ? {due} : {})}, plan}
  }
  const fail = async (step: Step, kind: 'failed' | 'drift', message: string): Promise<RunResult> => {
    step.status = 'failed'
    step.error = message.split('\n')[0]
    await save()
    await deps.journal.append({event: 'step-failed', step: step.id, message: step.error})
    return {outcome: {kind, step: step.id, message}, plan}
  }
  const finish = async (step: Step, evidence?: unknown) => {
    step.status = 'done'
    step.finishedAt = iso(now())
    delete step.error
    if (evidence !== undefined) step.evidence = evidence
    await save()
    await deps.journal.append({event: 'step-done', step: step.id})
  }

  const open = openIntents(deps.previousJournal ?? [])

  for (let i = first; i < plan.steps.length; i++) {
    const step = plan.steps[i]
    if (step.status === 'done' || step.status === 'skipped') continue
    if (deps.interrupt?.aborted) return pause(step, 'interrupted before the step started')
    deps.ui.step(step, i, plan.steps.length)

    // Timing first: a step with wait rules never starts before they allow.
    const nb = notBefore(plan, step)
    if (nb.kind === 'unknown') return fail(step, 'failed', `step ${step.id} waits for ${nb.waitingFor}, which has not finished`)
    if (nb.kind === 'at') {
      if (step.notBefore !== iso(nb.at)) step.notBefore = iso(nb.at)
      if (step.status !== 'running') {
        step.status = 'running'
        step.startedAt = iso(now())
      }
      await save()
      if (nb.at > now()) {
        await deps.journal.append({event: 'wait', step: step.id, notBefore: iso(nb.at), message: nb.reason})
        if (options.detach) {
          await deps.journal.append({event: 'detached', step: step.id, notBefore: iso(nb.at)})
          return {outcome: {kind: 'detached', step: step.id, due: nb.at}, plan}
        }
        const waited = waitUntil(deps, nb.at)
        await deps.ui.countdown(`${step.title}: ${nb.reason}`, nb.at, now, waited)
        await waited
        if (now() < nb.at) return pause(step, `paused during the wait; it is over ${formatWhen(nb.at, now())}`, nb.at)
      } else {
        deps.ui.info(`wait over since ${formatClock(nb.at)}`)
      }
    }

    if (step.status !== 'running') {
      step.status = 'running'
      step.startedAt = iso(now())
      await save()
    }
    await deps.journal.append({event: 'step-start', step: step.id, kind: step.kind})

    switch (step.kind) {
      case 'wait': {
        await finish(step)
        deps.ui.ok(`${step.id}: done`)
        break
      }

      case 'audit': {
        const r = await runPreflight(plan, i, deps, options.resumeCommand)
        if (!r.ok) return fail(step, 'failed', r.message)
        await finish(step, r.evidence)
        deps.ui.ok(`${step.id}: ${r.summary}`)
        break
      }

      case 'dns-change': {
        const changes = step.changes ?? []
        const intent = open.filter((e) => e.step === step.id).at(-1)
        for (const line of diffLines(changes)) deps.ui.info(line)
        const r = await performChange(step.id, changes, plan.zone, deps, intent)
        switch (r.kind) {
          case 'done':
            step.status = 'done'
            step.finishedAt = iso(r.at)
            step.evidence = r.evidence
            delete step.error
            deps.failpoint?.(`before-save:${step.id}`)
            await save()
            await deps.journal.append({event: 'step-done', step: step.id})
            deps.ui.ok(`${step.id}: ${r.appliedNow ? 'changed' : 'already changed'}; every authoritative server serves it (${r.evidence.servers.map((s) => `${s.server} serial ${s.serial}`).join(', ')})`)
            break
          case 'drift':
            deps.ui.warn(r.message)
            return fail(step, 'drift', r.message)
          case 'unreadable':
          case 'timeout':
            deps.ui.warn(r.message)
            return fail(step, 'failed', r.message)
          case 'interrupted':
            return pause(step, r.message)
          case 'host-error':
            await fail(step, 'failed', r.error.message)
            throw r.error
        }
        break
      }

      case 'verify': {
        const expected = step.expectMx ?? []
        const lowered = mxTtlAt(plan, step)
        const margin = configSeconds(plan, 'margin') ?? 60
        const timeoutMs = ((lowered ?? 300) + margin) * 1000 + (deps.timing?.convergeTimeoutMs ?? 300_000)
        const ac = new AbortController()
        const onInterrupt = () => ac.abort()
        deps.interrupt?.addEventListener('abort', onInterrupt)
        deps.failpoint?.(`during-verify:${step.id}`)
        let result
        try {
          const running = deps.verify({domain: plan.domain, expected, publishedTtl: previousMxTtl(plan, step), deadline: now() + timeoutMs, signal: ac.signal})
          await deps.ui.countdown(`${step.title}: until every resolver serves the new MX`, now() + timeoutMs, now, running.then(() => undefined, () => undefined))
          result = await running
        } finally {
          deps.interrupt?.removeEventListener('abort', onInterrupt)
        }
        await deps.journal.append({event: 'verify', step: step.id, converged: result.converged, message: result.summary})
        if (result.aborted) return pause(step, `interrupted during verification: ${result.summary}`)
        if (!result.converged) return fail(step, 'failed', `step ${step.id}: not converged after ${formatDuration(timeoutMs / 1000)}: ${result.pending.join('; ') || result.summary}; resume to check again`)
        await finish(step, result.evidence)
        deps.ui.ok(`${step.id}: ${result.summary}`)
        break
      }

      case 'checkpoint': {
        const answer = await checkpoint(plan, step, i, deps, options)
        if (answer === 'continue') {
          await finish(step, {answeredBy: options.yes ? '--yes' : 'person', at: iso(now())})
          break
        }
        if (answer === 'pause') {
          step.status = 'pending'
          delete step.startedAt
          return pause(step, `paused at checkpoint ${step.id}`)
        }
        if (answer === 'abort') {
          step.status = 'failed'
          step.error = 'aborted at the checkpoint by the operator'
          await save()
          await deps.journal.append({event: 'step-failed', step: step.id, message: step.error})
          return {outcome: {kind: 'aborted', step: step.id}, plan}
        }
        // rollback
        step.status = 'pending'
        delete step.startedAt
        await save()
        const rolled = await rollbackPlan(plan, deps, {resumeCommand: options.resumeCommand})
        const o = rolled.outcome
        if (o.kind === 'done') return {outcome: {kind: 'rolled-back'}, plan: rolled.plan}
        if (o.kind === 'paused') return {outcome: {kind: 'paused', step: 'rollback', reason: o.message}, plan: rolled.plan}
        return {outcome: {kind: o.kind, step: 'rollback', message: o.message}, plan: rolled.plan}
      }
    }

    if (options.until === step.id) {
      plan.pausedAt = iso(now())
      await save()
      await deps.journal.append({event: 'paused', step: step.id, message: `stopped after ${step.id} as asked (--until)`})
      return {outcome: {kind: 'until', step: step.id}, plan}
    }
  }
  await deps.journal.append({event: 'run-end', message: 'all steps done'})
  return {outcome: {kind: 'done'}, plan}
}

/** Sleeps until `due` on the runner's clock (never less), or until interrupted. */
async function waitUntil(deps: RunnerDeps, due: number): Promise<void> {
  while (deps.clock.now() < due) {
    if (deps.interrupt?.aborted) return
    // Short slices keep an interrupt prompt; the clock decides when it is over.
    await deps.clock.sleep(Math.min(due - deps.clock.now(), 60_000), deps.interrupt)
  }
}

function configSeconds(plan: PlanState, key: 'lowered' | 'final' | 'margin'): number | null {
  const ttl = (plan.config as {ttl?: Record<string, unknown>}).ttl
  const v = ttl?.[key]
  return typeof v === 'number' ? v : null
}

/** The MX TTL the plan has published by the time of this step. */
function mxTtlAt(plan: PlanState, step: Step): number | null {
  let ttl: number | null = plan.observed.mx.ttl
  for (const s of plan.steps) {
    if (s === step) break
    for (const c of s.changes ?? []) if (c.type === 'MX' && c.after) ttl = c.after.ttl
  }
  return ttl
}

/** The TTL the MX RRset replaced before this step had (what a resolver may still hold). */
function previousMxTtl(plan: PlanState, step: Step): number | null {
  let ttl: number | null = plan.observed.mx.ttl
  for (const s of plan.steps) {
    if (s === step) break
    for (const c of s.changes ?? []) if (c.type === 'MX' && c.before && c.after && JSON.stringify(c.before.records) !== JSON.stringify(c.after.records)) ttl = c.before.ttl
  }
  return ttl
}

/** The next DNS change after a checkpoint: what "show the diff" shows. */
function nextChange(plan: PlanState, index: number): Step | null {
  return plan.steps.slice(index + 1).find((s) => s.kind === 'dns-change' && s.status !== 'done' && s.status !== 'skipped') ?? null
}

/** True once a step changed the MX data (not just its TTL): from then on rollback is offered. */
export function swapDone(plan: PlanState): boolean {
  return plan.steps.some(
    (s) => s.kind === 'dns-change' && (s.status === 'done' || s.status === 'running') && (s.changes ?? []).some((c) => c.type === 'MX' && JSON.stringify(c.before?.records ?? []) !== JSON.stringify(c.after?.records ?? [])),
  )
}

async function checkpoint(plan: PlanState, step: Step, index: number, deps: RunnerDeps, options: RunOptions): Promise<CheckpointAnswer> {
  const next = nextChange(plan, index)
  deps.ui.info(step.title)
  if (step.why) deps.ui.info(step.why)
  if (next) {
    deps.ui.info(`next change (${next.id}): ${next.title}`)
    for (const line of diffLines(next.changes ?? [])) deps.ui.info(`  ${line}`)
  }
  if (options.yes) {
    await deps.journal.append({event: 'checkpoint', step: step.id, answer: 'continue', by: '--yes'})
    deps.ui.ok(`${step.id}: continuing (--yes)`)
    return 'continue'
  }
  if (!deps.prompter) {
    step.status = 'pending'
    delete step.startedAt
    plan.pausedAt = new Date(deps.clock.now()).toISOString()
    await deps.save(plan)
    await deps.journal.append({event: 'paused', step: step.id, message: 'checkpoint needs an answer and there is no terminal'})
    throw new UserError(`checkpoint ${step.id} needs a person and this is not an interactive terminal: run it in a terminal, or pass --yes to continue without asking (${options.resumeCommand} --yes)`)
  }
  const rollbackOffered = swapDone(plan)
  const choices: Choice[] = [
    {value: 'continue', name: next ? `Continue: ${next.title}` : 'Continue', description: 'carry on with the plan'},
    {value: 'pause', name: 'Pause', description: `stop here; continue later with ${options.resumeCommand}`},
    {value: 'diff', name: 'Show the diff', description: 'the exact records before and after, and what the servers serve now'},
    ...(rollbackOffered ? [{value: 'rollback' as const, name: 'Roll back', description: 'restore the original MX, then its TTL'}] : []),
    {value: 'abort', name: 'Abort', description: 'stop the cutover here and change nothing more'},
  ]
  for (;;) {
    let answer: CheckpointAnswer
    try {
      answer = await deps.prompter.choose(`${step.title}: what next?`, choices)
    } catch (err) {
      // Ctrl-C inside the prompt (inquirer's ExitPromptError) is a pause, like Ctrl-C in a wait.
      if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) answer = 'pause'
      else throw err
    }
    await deps.journal.append({event: 'checkpoint', step: step.id, answer, by: 'person'})
    if (answer !== 'diff') return answer
    if (!next) {
      deps.ui.info('no DNS change follows this checkpoint')
      continue
    }
    const live = await readLive(deps.client, plan.zone, deps.authServers, next.changes ?? [], {timeoutMs: deps.timing?.queryTimeoutMs})
    for (const line of diffLines(next.changes ?? [])) deps.ui.info(line)
    for (const cs of live.changes) {
      for (const s of cs.servers) deps.ui.info(`  now on ${serverName(s.server)}: ${s.state === 'unreadable' ? s.problem : s.live ? `TTL ${s.live.ttl}, ${s.state === 'before' ? 'as before the change' : s.state === 'after' ? 'already as after the change' : 'neither before nor after (drift)'}` : 'absent'}`)
    }
  }
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
