import {relative} from 'node:path'
import pLimit from 'p-limit'
import {errorMessage} from '../lib/errors.js'
import {bold, dim, green, red, table, yellow} from '../lib/style.js'
import {formatWhen} from '../lib/time.js'
import {listPlanFiles, readPlanState} from '../state/file.js'
import {planPaths} from '../state/paths.js'
import {dueCheck} from './due.js'
import type {Executed, RunCommandOptions} from './execute.js'
import {readLock} from './lock.js'
import {statusOf, type PlanRunState} from './status.js'

/**
 * A directory of plans in one process (DESIGN.md "Fleet"): `status DIR` reads
 * them all; `resume DIR --if-due` continues every due one, each under its own
 * lock, a few at a time, one failing never stopping the others.
 */

/** One row of `status DIR --json` (DESIGN.md "JSON shapes"). */
export interface FleetPlan {
  path: string
  domain: string | null
  state: PlanRunState | 'unreadable'
  next: {id: string; due: string | null} | null
  needsPerson: boolean
  /** Why a person is needed, or why the plan cannot be read. */
  reason: string | null
}

export interface FleetStatus {
  dir: string
  plans: FleetPlan[]
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`

async function onePlan(path: string, bin: string, now: number): Promise<FleetPlan> {
  try {
    const status = await statusOf(path, bin)
    const plan = await readPlanState(planPaths(path).plan)
    const check = dueCheck(plan, await readLock(planPaths(path).lock), now, {yes: false, startNew: false})
    const person = check.kind === 'needs-person'
    return {path, domain: status.domain, state: status.state, next: status.next ? {id: status.next.id, due: status.next.due} : null, needsPerson: person, reason: person ? check.reason : null}
  } catch (err) {
    return {path, domain: null, state: 'unreadable', next: null, needsPerson: true, reason: errorMessage(err)}
  }
}

export async function fleetStatus(dir: string, bin: string): Promise<FleetStatus> {
  const files = await listPlanFiles(dir)
  const now = Date.now()
  return {dir, plans: await Promise.all(files.map((f) => onePlan(f, bin, now)))}
}

const STATE_COLOUR: Partial<Record<FleetPlan['state'], (t: string) => string>> = {done: green, 'rolled-back': green, failed: red, unreadable: red, waiting: yellow, paused: yellow}

export function fleetStatusText(s: FleetStatus, now: number): string {
  if (s.plans.length === 0) return `no plan files under ${s.dir} (make them with: mxcut plan CONFIG --out ${s.dir})`
  // Paths as found under DIR: the directory is in the command the user typed.
  const shown = (p: string) => relative(s.dir, p) || p
  const due = (p: FleetPlan) => {
    if (!p.next || p.needsPerson) return '-'
    if (p.next.due) return formatWhen(Date.parse(p.next.due), now)
    return p.state === 'planned' ? 'when started' : 'now'
  }
  const rows = s.plans.map((p) => [shown(p.path), p.domain ?? '-', (STATE_COLOUR[p.state] ?? ((t: string) => t))(p.state), p.next?.id ?? '-', due(p), p.needsPerson ? red('yes') : 'no'])
  const lines = [`plans under ${s.dir}:`, table(['plan', 'domain', 'state', 'next', 'due', 'needs a person'], rows)]
  for (const p of s.plans.filter((x) => x.needsPerson)) lines.push(`${bold(p.domain ?? shown(p.path))}: ${p.reason}`)
  const person = s.plans.filter((p) => p.needsPerson).length
  lines.push(dim(`${plural(s.plans.length, 'plan')}; ${person === 0 ? 'none needs a person' : `${plural(person, 'needs', 'need')} a person`}`))
  return lines.join('\n')
}

export interface FleetResumeEntry {
  path: string
  domain: string | null
  /** What happened: the run's outcome kind, or error. */
  outcome: string
  needsAttention: boolean
  message: string
  state: FleetPlan['state'] | null
}

export interface FleetResumeResult {
  json: {dir: string; plans: FleetResumeEntry[]; needAttention: number}
  text: string
  exitCode: number
}

const ATTENTION = new Set(['drift', 'failed', 'aborted', 'held', 'error'])

/** `resume DIR --if-due`: every plan that is due, at most `concurrency` at once, each detaching at its next wait. */
export async function fleetResume(dir: string, options: Omit<RunCommandOptions, 'mode' | 'ifDue' | 'detach' | 'startNew' | 'write' | 'warn' | 'prompts'> & {concurrency?: number; log: (line: string) => void}): Promise<FleetResumeResult> {
  const files = await listPlanFiles(dir)
  const {executeRun} = await import('./execute.js')
  const limit = pLimit(options.concurrency ?? 4)
  const entries = await Promise.all(
    files.map((path) =>
      limit(async (): Promise<FleetResumeEntry> => {
        let label = relative(process.cwd(), path) || path
        const say = (line: string) => {
          if (!options.json) options.log(line.split('\n').map((l) => `${dim(`[${label}]`)} ${l}`).join('\n'))
        }
        try {
          label = (await readPlanState(path)).domain
        } catch {
          // An unreadable plan is reported by the run below.
        }
        try {
          const r: Executed = await executeRun(path, {
            ...options,
            mode: 'resume',
            ifDue: true,
            startNew: false,
            detach: true,
            prompts: false,
            write: (t) => say(t.replace(/\n$/, '')),
            warn: (line) => say(`warning: ${line}`),
          })
          say(r.text)
          const kind = r.json.outcome.kind
          return {path, domain: r.json.domain, outcome: kind, needsAttention: ATTENTION.has(kind) || r.exitCode !== 0, message: r.text.split('\n')[0], state: r.json.status.state}
        } catch (err) {
          say(`${red('error')}: ${errorMessage(err)}`)
          const state = await statusOf(path, options.bin).then((s) => s.state, () => null)
          return {path, domain: label, outcome: 'error', needsAttention: true, message: errorMessage(err), state}
        }
      }),
    ),
  )
  const attention = entries.filter((e) => e.needsAttention)
  const counts = new Map<string, number>()
  for (const e of entries) counts.set(e.outcome, (counts.get(e.outcome) ?? 0) + 1)
  const parts = [...counts.entries()].map(([k, n]) => `${n} ${k}`)
  const summary =
    entries.length === 0
      ? `fleet: no plan files under ${dir}`
      : `fleet: ${plural(entries.length, 'plan')} (${parts.join(', ')}); ${attention.length === 0 ? 'none needs attention' : `${plural(attention.length, 'needs', 'need')} attention: ${attention.map((e) => e.domain ?? e.path).join(', ')}`}`
  return {json: {dir, plans: entries, needAttention: attention.length}, text: summary, exitCode: attention.length > 0 ? 1 : 0}
}
