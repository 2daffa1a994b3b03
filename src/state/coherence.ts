import {canonicalName} from '../dns/names.js'
import {sameData, sameRRset, type RRset} from '../zone/rrset.js'
import type {MxRecord, RRsetJson} from './records.js'
import type {PlanState, Step, StepKind} from './schema.js'

/**
 * Whether a plan still hangs together as the planner made it (DESIGN.md
 * "Plan integrity"): each change starts from the state the previous change
 * of that RRset left (forward, and in each rollback procedure from the state
 * of its `from` step), each verify step expects the MX the changes before it
 * set, and the steps keep the planner's order. A plan edited by hand in a way
 * that breaks one of these is refused at load, naming the first problem.
 */

/**
 * The planner's step ids in the order it adds them, with their kinds. Ids it does not know are left to the other rules
 * (probe-before-swap sits just before whichever swap the strategy has, so it has no single rank here).
 */
const PLANNER_ORDER: ReadonlyArray<readonly [string, StepKind]> = [
  ['preflight', 'audit'],
  ['update-mta-sts-policy', 'checkpoint'],
  ['publish-companions', 'dns-change'],
  ['lower-ttl', 'dns-change'],
  ['add-target-backup', 'dns-change'],
  ['verify-backup', 'verify'],
  ['probe-target', 'audit'],
  ['wait-old-ttl', 'wait'],
  ['wait-companions', 'wait'],
  ['acknowledge-dane', 'checkpoint'],
  ['confirm-swap', 'checkpoint'],
  ['swap-mx', 'dns-change'],
  ['confirm-promote', 'checkpoint'],
  ['promote-target', 'dns-change'],
  ['verify-propagation', 'verify'],
  ['probe-source', 'smtp-probe'],
  ['confirm-mail-flow', 'checkpoint'],
  ['remove-source', 'dns-change'],
  ['verify-removal', 'verify'],
  ['restore-ttl', 'dns-change'],
  ['decommission-check', 'smtp-probe'],
  ['soak', 'wait'],
  ['cleanup', 'dns-change'],
]
const RANK = new Map(PLANNER_ORDER.map(([id, kind], i) => [id, {rank: i, kind}]))

/** Each swap and the checkpoint that must come before it. */
const SWAP_CHECKPOINTS: Record<string, string> = {'swap-mx': 'confirm-swap', 'promote-target': 'confirm-promote'}

const key = (name: string, type: string) => `${canonicalName(name)} ${type}`
const toSet = (s: RRsetJson | null): RRset | null => (s ? {name: canonicalName(s.name), type: s.type, ttl: s.ttl, records: s.records} : null)

function describeSet(s: RRsetJson | null): string {
  if (!s || s.records.length === 0) return 'absent'
  return `TTL ${s.ttl}, ${s.records.length} record${s.records.length === 1 ? '' : 's'}`
}

function mxText(records: readonly MxRecord[]): string {
  return records.length === 0 ? '(none)' : sortedMx(records).map((m) => `${m.priority} ${m.exchange}`).join(', ')
}

function sortedMx(records: readonly MxRecord[]): MxRecord[] {
  return records
    .map((m) => ({priority: m.priority, exchange: m.exchange === '.' ? '.' : canonicalName(m.exchange)}))
    .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))
}

function sameMx(a: readonly MxRecord[], b: readonly MxRecord[]): boolean {
  const x = sortedMx(a)
  const y = sortedMx(b)
  return x.length === y.length && x.every((m, i) => m.priority === y[i].priority && m.exchange === y[i].exchange)
}

function mxOf(set: RRsetJson | null): MxRecord[] {
  return (set?.records ?? []).flatMap((r) => (typeof r === 'object' && 'exchange' in r ? [{priority: r.priority, exchange: r.exchange}] : []))
}

/** The RRsets as observed at planning time: where the first change of each must start. */
function observedState(plan: PlanState): Map<string, RRsetJson | null> {
  const state = new Map<string, RRsetJson | null>()
  for (const o of plan.observed.rrsets) state.set(key(o.name, o.type), o.rrset)
  // The MX as the plan summarises it (the largest TTL any server served), which is where its MX changes start.
  const mx = plan.observed.mx
  state.set(key(plan.domain, 'MX'), mx.ttl === null || mx.records.length === 0 ? null : {name: plan.domain, type: 'MX', ttl: mx.ttl, records: mx.records})
  return state
}

/** The order rules: pre-flight first, the planner's steps in its order and with their kinds, each swap after its checkpoint and after the wait for the lowered TTL. */
function checkOrder(steps: readonly Step[]): string | null {
  if (steps[0]?.id !== 'preflight' || steps[0].kind !== 'audit') {
    const at = steps.findIndex((s) => s.id === 'preflight')
    return at < 0 ? 'it has no preflight step' : `preflight is step ${at + 1}, not the first: every change would run before the pre-flight audit`
  }
  let last: {id: string; rank: number} | null = null
  for (const step of steps) {
    const known = RANK.get(step.id)
    if (!known) continue
    if (step.kind !== known.kind) return `step ${step.id} is of kind ${step.kind}, not ${known.kind}`
    if (last && known.rank < last.rank) return `step ${step.id} comes after ${last.id}; the planner puts it before`
    last = {id: step.id, rank: known.rank}
  }
  for (const [swap, checkpoint] of Object.entries(SWAP_CHECKPOINTS)) {
    const at = steps.findIndex((s) => s.id === swap)
    if (at < 0) continue
    if (!steps.slice(0, at).some((s) => s.id === checkpoint)) return `step ${swap} has no ${checkpoint} checkpoint before it`
    const lowered = steps.findIndex((s) => s.id === 'lower-ttl')
    const guarded = steps.slice(0, at).some((s) => s.kind === 'wait' && (s.waitFor ?? []).some((r) => r.after === 'lower-ttl'))
    if (lowered >= 0 && lowered < at && !guarded) return `step ${swap} is not preceded by a wait for the lowered TTL (lower-ttl)`
  }
  return null
}

interface Walk {
  /** Where the steps belong, for messages: "steps" or "the rollback after swap-mx". */
  where: string
  steps: readonly Step[]
  domain: string
  state: Map<string, RRsetJson | null>
  /** First changes of an RRset never seen before are checked against the data observed at planning time (TTL aside). */
  observed?: Map<string, RRsetJson | null>
  /** Stop after this step (its changes included). */
  until?: string
}

/** Follows the changes in order, checking each before-state and each verify step's expected MX. */
function walk(w: Walk): string | null {
  const mxKey = key(w.domain, 'MX')
  for (const step of w.steps) {
    if (step.kind === 'verify' && step.expectMx) {
      const now = mxOf(w.state.get(mxKey) ?? null)
      if (!sameMx(step.expectMx, now)) return `${w.where}: ${step.id} expects MX ${mxText(step.expectMx)}, but the changes before it leave MX ${mxText(now)}`
    }
    for (const change of step.changes ?? []) {
      const k = key(change.name, change.type)
      if (w.state.has(k)) {
        const previous = w.state.get(k) ?? null
        if (!sameRRset(toSet(change.before), toSet(previous))) {
          return `${w.where}: ${step.id} changes ${canonicalName(change.name)} ${change.type} from a state (${describeSet(change.before)}) that is not what the steps before it leave (${describeSet(previous)})`
        }
      } else if (w.observed?.has(k) && !sameData(toSet(change.before), toSet(w.observed.get(k) ?? null))) {
        return `${w.where}: ${step.id} changes ${canonicalName(change.name)} ${change.type} from data that is not what was observed when the plan was made`
      }
      w.state.set(k, change.after)
    }
    if (step.id === w.until) return null
  }
  return null
}

/** The first reason the plan is not coherent, or null. */
export function planIncoherence(plan: PlanState): string | null {
  const order = checkOrder(plan.steps)
  if (order) return order
  const observed = observedState(plan)
  const mxKey = key(plan.domain, 'MX')
  const forward = walk({where: 'steps', steps: plan.steps, domain: plan.domain, state: new Map([[mxKey, observed.get(mxKey) ?? null]]), observed})
  if (forward) return forward
  for (const procedure of plan.rollbackPlan?.procedures ?? []) {
    const from = plan.steps.find((s) => s.id === procedure.from)
    if (!from || from.kind !== 'dns-change') return `the rollback procedure from '${procedure.from}' names no DNS change step of the plan`
    const state = new Map([[mxKey, observed.get(mxKey) ?? null]])
    walk({where: 'steps', steps: plan.steps, domain: plan.domain, state, until: procedure.from})
    const problem = walk({where: `the rollback after ${procedure.from}`, steps: procedure.steps, domain: plan.domain, state})
    if (problem) return problem
  }
  return null
}
