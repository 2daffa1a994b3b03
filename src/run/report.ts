import {formatClock, formatDuration, formatWhen} from '../lib/time.js'
import {bold, dim, green, red, yellow} from '../lib/style.js'
import type {RunOutcome} from './runner.js'
import type {StatusReport} from './status.js'
import {table} from '../lib/style.js'
import {shortDigest} from '../state/digest.js'

/** Exit code of a run: 1 when it stopped on a problem DNS showed (drift, no convergence), else 0. */
export function outcomeExitCode(outcome: RunOutcome): number {
  return outcome.kind === 'drift' || outcome.kind === 'failed' || outcome.kind === 'aborted' ? 1 : 0
}

/** The closing lines of a run, resume or rollback. */
export function outcomeText(outcome: RunOutcome, resumeCommand: string, now: number): string {
  switch (outcome.kind) {
    case 'done':
      return green('cutover complete: every step is done')
    case 'rolled-back':
      return green('rolled back: the original MX and its TTL are served by every authoritative server')
    case 'until':
      return `stopped after ${outcome.step} as asked; continue with: ${resumeCommand}`
    case 'paused':
      return `${yellow('paused')}: ${outcome.reason}\ncontinue with: ${resumeCommand}${outcome.due ? `\nthe wait is over ${formatWhen(outcome.due, now)}` : ''}`
    case 'detached':
      return `detached at ${outcome.step}: run\n  ${resumeCommand}\nat or after ${formatClock(outcome.due)}, ${formatDuration(Math.max(0, (outcome.due - now) / 1000))} from now; a timer may call it earlier with --if-due`
    case 'not-due':
      return `not due: ${outcome.step} is due ${formatWhen(outcome.due, now)}; nothing was done`
    case 'drift':
      return `${red('stopped: drift')}\n${outcome.message}`
    case 'failed':
      return `${red(`stopped at ${outcome.step}`)}: ${outcome.message}`
    case 'aborted':
      return `${red('aborted')} at ${outcome.step}; nothing more was changed. Undo with mxcut rollback, or continue later with: ${resumeCommand}`
  }
}

const STATE_COLOUR: Record<string, (t: string) => string> = {done: green, 'rolled-back': green, failed: red, waiting: yellow, paused: yellow}

export function statusText(s: StatusReport, now: number): string {
  const colour = STATE_COLOUR[s.state] ?? ((t: string) => t)
  const lines = [`${bold(s.domain)}: ${colour(s.state)}${s.lock ? ` (PID ${s.lock.pid}, ${s.lock.command})` : ''}`]
  const when = (x: string | null) => (x ? formatClock(Date.parse(x)) : '')
  lines.push(
    table(
      ['step', 'status', 'kind', 'started', 'finished', 'not before'],
      s.steps.map((st) => [st.id, st.status === 'failed' ? red(st.status) : st.status === 'done' ? green(st.status) : st.status, st.kind, when(st.startedAt), when(st.finishedAt), st.status === 'done' ? '' : when(st.notBefore)]),
    ),
  )
  for (const st of s.steps.filter((x) => x.error && x.status === 'failed')) lines.push(`${red(st.id)}: ${st.error}`)
  if (s.next) lines.push(`next: ${s.next.id} (${s.next.title}), due ${s.next.due ? formatWhen(Date.parse(s.next.due), now) : s.next.dueKnown ? 'now' : 'once the steps before it finish'}`)
  if (s.drift) lines.push(`${red('drift')} found by resume ${formatWhen(Date.parse(s.drift.detectedAt), now)}: ${s.drift.message}`)
  if (s.keepSource) lines.push(s.keepSource)
  if (s.rollback) lines.push(`rollback: ${s.rollback.status}${s.rollback.error ? ` (${s.rollback.error})` : ''}`)
  if (s.resumeCommand) lines.push(dim(`continue with: ${s.resumeCommand}`))
  lines.push(dim(`digest ${shortDigest(s.digest)}`))
  return lines.join('\n')
}
