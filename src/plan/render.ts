import {getProfile} from '../profiles/index.js'
import {bold, dim, red, table, yellow} from '../lib/style.js'
import {formatClock, formatDuration, formatInstant, formatSeconds, formatWhen} from '../lib/time.js'
import {rdataKeys} from '../zone/rrset.js'
import {shortDigest} from '../state/digest.js'
import type {RRsetChange, RRsetJson, Step} from '../state/schema.js'
import type {CutoverPlan} from './context.js'
import {estimateSchedule} from './schedule.js'

/**
 * The review of a plan, generated from the same step objects the runner
 * executes: what a reviewer approves is what runs.
 */

export interface RenderOptions {
  /** The plan file written (null when the plan was refused). */
  planFile: string | null
  /** sha256 of the written plan's steps, changes and rollback (null when refused). */
  digest?: string | null
  now: Date
}

function lines(set: RRsetJson | null): string[] {
  if (!set) return []
  return rdataKeys({type: set.type, records: set.records}).map((rdata) => `${set.name}. ${set.ttl} IN ${set.type} ${rdata}`)
}

/** A unified diff of one RRset change: unchanged records as context, the rest as -/+. */
export function changeDiff(change: RRsetChange): string[] {
  const before = lines(change.before)
  const after = lines(change.after)
  const out: string[] = []
  for (const l of before) out.push(after.includes(l) ? `  ${l}` : `- ${l}`)
  for (const l of after) if (!before.includes(l)) out.push(`+ ${l}`)
  if (change.before === null) out.unshift(`  ; ${change.name} ${change.type} does not exist yet`)
  if (change.after === null) out.push(`  ; ${change.name} ${change.type} is deleted`)
  return out
}

function mxText(records: Array<{priority: number; exchange: string}>): string {
  return records.length === 0 ? 'none' : records.map((m) => `${m.priority} ${m.exchange}`).join(', ')
}

function ttlText(seconds: number | null): string {
  return seconds === null ? '-' : formatSeconds(seconds)
}

/** Where the target MX came from: a reviewer must know whether anyone checked it against the provider. */
function mxSourceText(source: CutoverPlan['target']['mxSource'] | undefined): string {
  if (source === 'tenant') return ' (from Microsoft Graph)'
  if (source === 'profile') return " (the profile's documented value; the value the provider shows for the domain wins: target.mx)"
  return ''
}

function profileName(id: string | null): string {
  if (!id) return 'unrecognised provider'
  try {
    return getProfile(id).name
  } catch {
    return id
  }
}

interface Timed {
  step: Step
  start: Date
  end: Date
}

function timeline(plan: CutoverPlan): Timed[] {
  const schedule = estimateSchedule(plan.steps, new Date(plan.createdAt))
  return plan.steps.map((step, i) => ({step, start: schedule[i].start, end: schedule[i].end}))
}

const SWAP_IDS = new Set(['swap-mx', 'promote-target'])

function keyTimes(plan: CutoverPlan): {swap: Timed | undefined; flowing: Timed | undefined; last: Timed | undefined} {
  const t = timeline(plan)
  return {
    swap: t.find((x) => SWAP_IDS.has(x.step.id)),
    flowing: t.find((x) => x.step.id === 'confirm-mail-flow'),
    last: t.filter((x) => !x.step.optional).at(-1),
  }
}

/** The review's "keep the source accepting mail until …": the estimate without clamps; mxcut status gives the measured time after the swap. */
function keepSourceText(plan: CutoverPlan): string | null {
  const check = timeline(plan).find((x) => x.step.afterDecommissionSafe && x.step.kind === 'smtp-probe')
  if (!check) return null
  return `Keep the source accepting mail until at least ${formatInstant(check.start)} (the decommission-safe time if the run starts when planned and every checkpoint is answered at once; later where a resolver clamps TTLs: mxcut status gives the measured time once the swap is done).`
}

function waitText(step: Step): string {
  return (step.waitFor ?? []).map((r) => `${formatDuration(r.seconds)} after ${r.after}`).join(', ')
}

export function renderText(plan: CutoverPlan, options: RenderOptions): string {
  const out: string[] = []
  const t = timeline(plan)
  out.push(bold(`${plan.domain}: MX cutover to ${profileName(plan.target.profile)} (${plan.strategy})`) + (plan.zone !== plan.domain ? dim(`  zone ${plan.zone}`) : ''))
  out.push(`Today:   MX ${mxText(plan.observed.mx.records)}, TTL ${ttlText(plan.observed.mx.ttl)}${plan.source.profile ? ` (${profileName(plan.source.profile)}${plan.source.detected ? ', detected' : ''})` : ''}`)
  out.push(`Target:  MX ${mxText(plan.target.mx)}${mxSourceText(plan.target.mxSource)}`)
  out.push(`Servers: ${plan.observed.nameservers.map((n) => `${n.name} serial ${n.serial ?? '-'}`).join(', ')}`)
  if (plan.ttl.negative !== null) out.push(`Negative caching: ${ttlText(plan.ttl.negative)} (RFC 2308: min of SOA MINIMUM and SOA TTL)`)
  out.push('')
  if (plan.blockers.length > 0) {
    out.push(red(bold(`Refused: ${plan.blockers.length} problem${plan.blockers.length > 1 ? 's' : ''} must be fixed first`)))
    for (const b of plan.blockers) out.push(`  ${red(b.code)} ${b.subject}: ${b.message}`)
    out.push('')
  }
  out.push(
    table(
      ['#', 'STEP', 'KIND', 'EARLIEST', 'WHAT'],
      t.map((x, i) => [
        String(i + 1),
        x.step.id + (x.step.optional ? dim(' (optional)') : ''),
        x.step.kind,
        x.step.kind === 'wait' ? `until ${formatWhen(x.end, options.now)}` : formatWhen(x.start, options.now),
        x.step.title + (x.step.waitFor?.length && x.step.kind !== 'wait' ? dim(` [${waitText(x.step)}]`) : ''),
      ]),
    ),
  )
  const {swap, flowing} = keyTimes(plan)
  out.push('')
  if (swap) out.push(`Earliest swap ${formatWhen(swap.start, options.now)}; mail reaches the target everywhere ${formatWhen(flowing?.start ?? swap.end, options.now)}, if every checkpoint is answered at once.`)
  const keep = keepSourceText(plan)
  if (keep) out.push(keep)
  const changes = plan.steps.filter((s) => s.changes?.length)
  if (changes.length > 0) {
    out.push('')
    out.push(bold('Changes'))
    for (const s of changes) {
      out.push(`  ${s.id}`)
      for (const c of s.changes ?? []) for (const l of changeDiff(c)) out.push(`    ${l.startsWith('-') ? red(l) : l.startsWith('+') ? yellow(l) : dim(l)}`)
    }
  }
  if (plan.rollback.procedures.length > 0) {
    out.push('')
    out.push(bold('Rollback') + dim(' (mxcut rollback PLAN runs the procedure of the furthest step reached, as stored)'))
    for (const p of plan.rollback.procedures) out.push(`  after ${p.from}: ${p.steps.map((s) => s.title).join('; ')}`)
  }
  if (plan.findings.length > 0) {
    out.push('')
    out.push(bold('Findings'))
    for (const f of plan.findings) {
      const h = plan.handled.find((x) => x.code === f.code)
      out.push(`  ${f.severity === 'error' ? red(f.severity) : f.severity === 'warning' ? yellow(f.severity) : f.severity} ${f.code} ${f.subject}: ${f.message}${h ? dim(` (handled by ${h.step})`) : ''}`)
    }
  }
  if (plan.notes.length > 0) {
    out.push('')
    out.push(bold('Notes'))
    for (const n of plan.notes) out.push(`  - ${n}`)
  }
  out.push('')
  if (options.planFile) {
    out.push(`Plan written to ${options.planFile} (mode 0600). Review it, then: mxcut run ${options.planFile}`)
    if (options.digest) out.push(`Digest ${bold(shortDigest(options.digest))} (sha256 ${options.digest}): mxcut run ${options.planFile} --digest ${shortDigest(options.digest)} runs this plan and refuses any other.`)
  } else out.push(red('No plan file written.'))
  return out.join('\n')
}

/** Local time as Mermaid's dateFormat "YYYY-MM-DD HH:mm:ss" parses it. */
function mermaidTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

function mermaidLabel(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim()
}

/** The chart of steps [from, to) of the plan (all of them by default). */
export function renderGantt(plan: CutoverPlan, from = 0, to = plan.steps.length, title = `${plan.domain} MX cutover (${plan.strategy})`): string {
  const t = timeline(plan)
  const swapIndex = t.findIndex((x) => SWAP_IDS.has(x.step.id))
  const flowIndex = t.findIndex((x) => x.step.id === 'confirm-mail-flow')
  const section = (i: number) => (swapIndex < 0 || i < swapIndex ? 'Prepare' : flowIndex < 0 || i <= flowIndex ? 'Cut over' : 'Finish')
  const out = ['gantt', `  title ${mermaidLabel(title)}`, '  dateFormat YYYY-MM-DD HH:mm:ss', '  axisFormat %d %b %H:%M']
  let current = ''
  for (const [i, x] of t.entries()) {
    if (i < from || i >= to) continue
    const s = section(i)
    if (s !== current) {
      out.push(`  section ${s}`)
      current = s
    }
    const tags = [SWAP_IDS.has(x.step.id) ? 'crit' : '', x.end.getTime() === x.start.getTime() ? 'milestone' : ''].filter(Boolean)
    const end = x.end.getTime() === x.start.getTime() ? '0s' : mermaidTime(x.end)
    out.push(`  ${mermaidLabel(x.step.id)}${x.step.optional ? ' (optional)' : ''} :${[...tags, `s${i + 1}`].join(', ')}, ${mermaidTime(x.start)}, ${end}`)
  }
  return out.join('\n')
}

/**
 * The charts of the review: one, or two when a long wait after the swap (the
 * week-long soak before the cleanup) would squash the hour of the cutover
 * into a sliver: the cutover, then the soak and what follows it.
 */
export function renderGantts(plan: CutoverPlan): string[] {
  const t = timeline(plan)
  const swapIndex = t.findIndex((x) => SWAP_IDS.has(x.step.id))
  const start = t[0]?.start.getTime() ?? 0
  const long = t.findIndex((x, i) => {
    const length = x.end.getTime() - x.start.getTime()
    return i > swapIndex && swapIndex >= 0 && x.step.kind === 'wait' && length >= 6 * 3600_000 && length > 3 * (x.start.getTime() - start)
  })
  if (long < 0) return [renderGantt(plan)]
  return [renderGantt(plan, 0, long), renderGantt(plan, long, t.length, `${plan.domain} after the cutover: ${t[long].step.id} (${formatDuration(waitSeconds(t[long]))}) and what follows`)]
}

/** How long a wait lasts as planned: its longest rule (the chart's span may start later, after the steps before it). */
function waitSeconds(x: Timed): number {
  const rules = x.step.waitFor ?? []
  return rules.length > 0 ? Math.max(...rules.map((r) => r.seconds)) : (x.end.getTime() - x.start.getTime()) / 1000
}

/** Prose in Markdown: a raw <tenant> would be taken for HTML and vanish when rendered. */
function mdText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A table cell: prose, on one line, with its pipes escaped. */
function mdEscape(text: string): string {
  return mdText(text).replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

export function renderMarkdown(plan: CutoverPlan, options: RenderOptions): string {
  const out: string[] = []
  const t = timeline(plan)
  const {swap, flowing, last} = keyTimes(plan)
  const target = profileName(plan.target.profile)
  out.push(`# MX cutover plan: ${plan.domain} → ${target}`)
  out.push('')
  out.push('| | |')
  out.push('|---|---|')
  out.push(`| Domain | ${plan.domain}${plan.zone !== plan.domain ? ` (zone ${plan.zone})` : ''} |`)
  out.push(`| Strategy | ${plan.strategy} |`)
  out.push(`| Planned | ${formatClock(new Date(plan.createdAt))}, from the authoritative servers |`)
  out.push(`| Source | ${profileName(plan.source.profile)}${plan.source.detected ? ' (detected from MX)' : ''} |`)
  out.push(`| Current MX | ${mdEscape(mxText(plan.observed.mx.records))}, TTL ${ttlText(plan.observed.mx.ttl)} |`)
  out.push(`| Target MX | ${mdEscape(mxText(plan.target.mx) + mxSourceText(plan.target.mxSource))} |`)
  out.push(`| Authoritative servers | ${plan.observed.nameservers.map((n) => `${n.name} (${n.address}) serial ${n.serial ?? '-'}`).join('; ')} |`)
  out.push(`| TTLs | lowered ${plan.ttl.lowered} s, during the swap ${plan.ttl.swap} s, final ${plan.ttl.final} s, margin ${plan.ttl.margin} s, negative caching ${plan.ttl.negative ?? '-'} s |`)
  if (swap) out.push(`| Earliest swap | ${formatClock(swap.start)} (${formatDuration((swap.start.getTime() - new Date(plan.createdAt).getTime()) / 1000)} after the run starts) |`)
  if (options.planFile) out.push(`| Plan file | \`${options.planFile}\` |`)
  if (options.digest) out.push(`| Plan digest | \`${shortDigest(options.digest)}\` (sha256 \`${options.digest}\`): approve this one; \`mxcut run PLAN --digest ${shortDigest(options.digest)}\` refuses any other |`)
  out.push('')
  out.push('## Summary')
  out.push('')
  if (plan.blockers.length > 0) {
    out.push(`**Refused.** ${plan.blockers.length} problem${plan.blockers.length > 1 ? 's' : ''} must be fixed before this cutover can be planned; no plan file was written.`)
  } else {
    const sentences = [
      `Moves inbound mail for ${plan.domain} from MX \`${mxText(plan.observed.mx.records)}\` to \`${mxText(plan.target.mx)}\` in ${plan.steps.length} steps.`,
      plan.ttl.old !== null && plan.ttl.old > plan.ttl.lowered
        ? `The MX TTL is lowered from ${formatDuration(plan.ttl.old)} to ${formatDuration(plan.ttl.lowered)} first, and the swap waits until every cache that could hold the old MX has expired.`
        : '',
      swap ? `If the run starts when planned and every checkpoint is answered at once, the swap happens ${formatDuration((swap.start.getTime() - new Date(plan.createdAt).getTime()) / 1000)} after the start and mail flows to the target by ${formatClock(flowing?.start ?? swap.end)}.` : '',
      last ? `The required steps end by ${formatClock(last.end)}.` : '',
      keepSourceText(plan) ?? '',
      'No DNS was changed by planning.',
    ].filter(Boolean)
    out.push(sentences.join(' '))
  }
  if (plan.blockers.length > 0) {
    out.push('')
    out.push('## Blockers')
    out.push('')
    for (const b of plan.blockers) out.push(`- **${b.code}** (${mdEscape(b.subject)}): ${mdText(b.message)}`)
  }
  out.push('')
  out.push('## Findings')
  out.push('')
  if (plan.findings.length === 0) out.push('No findings from the audit.')
  else {
    out.push('| Severity | Code | Subject | Finding | Handled by |')
    out.push('|---|---|---|---|---|')
    for (const f of plan.findings) {
      const h = plan.handled.find((x) => x.code === f.code)
      out.push(`| ${f.severity} | ${f.code} | ${mdEscape(f.subject)} | ${mdEscape(f.message)} | ${h ? `\`${h.step}\`` : ''} |`)
    }
  }
  if (plan.notes.length > 0) {
    out.push('')
    out.push('## Notes')
    out.push('')
    for (const n of plan.notes) out.push(`- ${mdText(n)}`)
  }
  out.push('')
  out.push('## Steps')
  for (const [i, x] of t.entries()) {
    const s = x.step
    out.push('')
    out.push(`### ${i + 1}. \`${s.id}\`: ${mdText(s.title)}${s.optional ? ' (optional)' : ''}`)
    out.push('')
    out.push(`- Kind: ${s.kind}`)
    out.push(s.kind === 'wait' ? `- Earliest end: ${formatClock(x.end)} (${formatDuration((x.end.getTime() - x.start.getTime()) / 1000)})` : `- Earliest start: ${formatClock(x.start)}`)
    for (const r of s.waitFor ?? []) out.push(`- Waits ${formatDuration(r.seconds)} (${r.seconds} s) after \`${r.after}\`: ${mdText(r.reason)}`)
    if (s.expectMx) out.push(`- Expects MX: ${mxText(s.expectMx)}`)
    if (s.probe) out.push(`- Probes the ${s.probe.role} MX (every address, never DATA): ${mxText(s.probe.hosts)}; a refusal ${s.probe.onRefusal === 'stop' ? 'stops the run' : 'is reported, the run goes on'}`)
    if (s.afterDecommissionSafe) out.push('- Not before the decommission-safe time (measured after the swap)')
    if (s.why) {
      out.push('')
      out.push(mdText(s.why))
    }
    if (s.changes?.length) {
      out.push('')
      out.push('```diff')
      for (const c of s.changes) out.push(...changeDiff(c))
      out.push('```')
    }
  }
  out.push('')
  out.push(...rollbackMarkdown(plan, options))
  out.push('')
  out.push('## Timeline')
  out.push('')
  out.push('Earliest times, if the run starts when planned and every checkpoint is answered at once.')
  out.push('')
  for (const [i, chart] of renderGantts(plan).entries()) {
    if (i > 0) out.push('', 'The long wait after the cutover, on its own scale:', '')
    out.push('```mermaid', chart, '```')
  }
  out.push('')
  return out.join('\n')
}

/** A stored step as a numbered item of the review, with its exact changes. */
function stepItem(step: Step, n: number): string[] {
  const out = ['', `${n}. **${mdText(step.title.replace(/\.$/, ''))}.** ${mdText(step.why ?? '')}`.trimEnd()]
  if (step.expectMx) out[1] += ` Expects MX: ${mxText(step.expectMx)}.`
  if (step.changes?.length) {
    out.push('', '   ```diff')
    for (const c of step.changes) for (const l of changeDiff(c)) out.push(`   ${l}`)
    out.push('   ```')
  }
  return out
}

/** The rollback as the plan stores it and mxcut rollback runs it: one procedure per point the run may have reached. */
function rollbackMarkdown(plan: CutoverPlan, options: RenderOptions): string[] {
  const out = ['## Rollback procedure', '']
  const {procedures, optional} = plan.rollback
  if (procedures.length === 0) {
    out.push('Nothing to roll back: the plan changes no MX.')
  } else {
    out.push(`\`mxcut rollback ${options.planFile ?? 'PLAN'}\` runs the procedure below for the furthest step the run has reached (live DNS confirms which), exactly as stored in the plan file; by hand, apply the same changes in order.`)
    for (const p of procedures) {
      out.push('', `### ${mdEscape(p.title)}`)
      p.steps.forEach((s, i) => out.push(...stepItem(s, i + 1)))
    }
  }
  if (optional.length > 0) {
    out.push('', '### Optional, never run by mxcut rollback')
    optional.forEach((s, i) => out.push(...stepItem(s, i + 1)))
  }
  return out
}

/** One plan as `plan --json` shows it. */
export interface PlanJson {
  domain: string
  zone: string
  strategy: CutoverPlan['strategy']
  planFile: string | null
  /** sha256 of the canonical steps, changes and rollback of the plan written (null when refused). */
  digest: string | null
  blocked: boolean
  blockers: CutoverPlan['blockers']
  target: CutoverPlan['target']
  source: CutoverPlan['source']
  observed: CutoverPlan['observed']
  ttl: CutoverPlan['ttl']
  findings: Array<CutoverPlan['findings'][number] & {handledBy: string | null}>
  notes: string[]
  steps: Array<Step & {estimatedStart: string; estimatedEnd: string}>
  rollback: CutoverPlan['rollback']
}

/** --format json / --json: the plan as data, with the review's computed times. */
export function planJson(plan: CutoverPlan, options: RenderOptions): PlanJson {
  const t = timeline(plan)
  return {
    domain: plan.domain,
    zone: plan.zone,
    strategy: plan.strategy,
    planFile: options.planFile,
    digest: options.digest ?? null,
    blocked: plan.blockers.length > 0,
    blockers: plan.blockers,
    target: plan.target,
    source: plan.source,
    observed: plan.observed,
    ttl: plan.ttl,
    findings: plan.findings.map((f) => ({...f, handledBy: plan.handled.find((h) => h.code === f.code)?.step ?? null})),
    notes: plan.notes,
    steps: t.map((x) => ({...x.step, estimatedStart: x.start.toISOString(), estimatedEnd: x.end.toISOString()})),
    rollback: plan.rollback,
  }
}
