import {swapDone} from '../../state/queries.js'
import type {Step} from '../../state/schema.js'
import {keepSourceLine, rollbackReachLine} from '../continuity.js'
import {diffLines, readLive, serverName} from '../live.js'
import type {CheckpointAnswer, Choice} from '../types.js'
import type {StepContext, StepHandler} from './types.js'

/** The next DNS change after a checkpoint: what "show the diff" shows. */
function nextChange(sequence: readonly Step[], index: number): Step | null {
  return sequence.slice(index + 1).find((s) => s.kind === 'dns-change' && s.status !== 'done' && s.status !== 'skipped') ?? null
}

/** Shows the exact change that follows, then asks: continue, pause, show the live diff, roll back (after the swap) or abort. */
export const checkpointStep: StepHandler = async (ctx) => {
  const {plan, step, sequence, index, deps, options} = ctx
  const next = nextChange(sequence, index)
  deps.ui.info(step.title)
  if (step.why) deps.ui.info(step.why)
  // Measured, not promised: clamping resolvers seen by verification lengthen both.
  for (const line of [keepSourceLine(plan, deps.clock.now()), rollbackReachLine(plan)]) if (line) deps.ui.info(line)
  if (next) {
    deps.ui.info(`next change (${next.id}): ${next.title}`)
    for (const line of diffLines(next.changes ?? [])) deps.ui.info(`  ${line}`)
  }
  if (options.yes) {
    await deps.journal.append({event: 'checkpoint', step: step.id, answer: 'continue', by: '--yes'})
    return {kind: 'done', summary: 'continuing (--yes)', evidence: {answeredBy: '--yes', at: new Date(deps.clock.now()).toISOString()}}
  }
  deps.notify?.({event: 'checkpoint', step: step.id, message: `${step.title}${next ? `; next change: ${next.title}` : ''}`})
  if (!deps.prompter) {
    return {kind: 'needs-person', message: `checkpoint ${step.id} needs a person and this is not an interactive terminal: run it in a terminal, or pass --yes to continue without asking (${options.resumeCommand} --yes)`}
  }
  const answer = await ask(ctx, next)
  switch (answer) {
    case 'continue':
      return {kind: 'done', summary: 'continuing', evidence: {answeredBy: 'person', at: new Date(deps.clock.now()).toISOString()}}
    case 'pause':
      return {kind: 'paused', reason: `paused at checkpoint ${step.id}`, reset: true, byPerson: true}
    case 'abort':
      return {kind: 'aborted'}
    default:
      return {kind: 'rollback'}
  }
}

async function ask(ctx: StepContext, next: Step | null): Promise<Exclude<CheckpointAnswer, 'diff'>> {
  const {plan, step, deps, options} = ctx
  const prompter = deps.prompter
  if (!prompter) return 'pause'
  const choices: Choice[] = [
    {value: 'continue', name: next ? `Continue: ${next.title}` : 'Continue', description: 'carry on with the plan'},
    {value: 'pause', name: 'Pause', description: `stop here; continue later with ${options.resumeCommand}`},
    {value: 'diff', name: 'Show the diff', description: 'the exact records before and after, and what the servers serve now'},
    ...(swapDone(plan) ? [{value: 'rollback' as const, name: 'Roll back', description: 'restore the original MX as the plan stores it'}] : []),
    {value: 'abort', name: 'Abort', description: 'stop the cutover here and change nothing more'},
  ]
  for (;;) {
    let answer: CheckpointAnswer
    try {
      answer = await prompter.choose(`${step.title}: what next?`, choices)
    } catch (err) {
      // Ctrl-C inside the prompt (inquirer's ExitPromptError) is a pause, like Ctrl-C in a wait.
      if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) answer = 'pause'
      else throw err
    }
    await deps.journal.append({event: 'checkpoint', step: step.id, answer, by: 'person'})
    if (answer !== 'diff') return answer
    await showLiveDiff(ctx, next)
  }
}

async function showLiveDiff({plan, deps}: StepContext, next: Step | null): Promise<void> {
  if (!next) {
    deps.ui.info('no DNS change follows this checkpoint')
    return
  }
  const live = await readLive(deps.client, plan.zone, deps.authServers, next.changes ?? [], {timeoutMs: deps.timing?.queryTimeoutMs})
  for (const line of diffLines(next.changes ?? [])) deps.ui.info(line)
  for (const cs of live.changes) {
    for (const s of cs.servers) deps.ui.info(`  now on ${serverName(s.server)}: ${s.state === 'unreadable' ? s.problem : s.live ? `TTL ${s.live.ttl}, ${s.state === 'before' ? 'as before the change' : s.state === 'after' ? 'already as after the change' : 'neither before nor after (drift)'}` : 'absent'}`)
  }
}
