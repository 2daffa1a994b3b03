import {canonicalName} from '../dns/names.js'
import {sameData} from '../zone/rrset.js'
import type {MxRecord, RRsetChange} from './records.js'
import type {PlanState, Step} from './schema.js'

/**
 * What a plan says about itself: the questions the runner, the verifier, the
 * status report and the sandbox ask of a plan, answered in one place from the
 * stored steps (never from a re-derived plan, never by comparing JSON text).
 */

/** The step's change of the domain's MX RRset, if it has one. */
export function mxChange(plan: Pick<PlanState, 'domain'>, step: Step): RRsetChange | undefined {
  const domain = canonicalName(plan.domain)
  return (step.changes ?? []).find((c) => c.type === 'MX' && canonicalName(c.name) === domain)
}

/** True when the change replaces MX data (not just its TTL): what a sender reaches changes. */
export function changesMxData(change: RRsetChange | undefined): boolean {
  return change !== undefined && !sameData(change.before, change.after)
}

/** A step that has (or may have) reached DNS: done, running, or failed after it started. */
export function reachedDns(step: Step): boolean {
  return step.status === 'done' || step.status === 'running' || (step.status === 'failed' && step.startedAt !== undefined)
}

/** Whether any DNS change of the plan has been (or may have been) made. */
export function anyChangeMade(plan: PlanState): boolean {
  return plan.steps.some((s) => s.kind === 'dns-change' && reachedDns(s))
}

/** True once a step changed the MX data (not just its TTL): from then on a rollback is offered. */
export function swapDone(plan: PlanState): boolean {
  return plan.steps.some((s) => s.kind === 'dns-change' && (s.status === 'done' || s.status === 'running') && changesMxData(mxChange(plan, s)))
}

/** The MX TTL the cutover runs at: the lowered TTL its steps publish, else the config's. */
export function loweredTtl(plan: PlanState): number {
  for (const s of plan.steps) {
    const c = mxChange(plan, s)
    if (c?.before && c.after && c.after.ttl < c.before.ttl) return c.after.ttl
  }
  return plan.config.ttl.lowered
}

/** The MX TTL published by the time `step` of `sequence` runs (before it). */
export function mxTtlAt(plan: PlanState, sequence: readonly Step[], step: Step, start: number | null = plan.observed.mx.ttl): number | null {
  let ttl = start
  for (const s of sequence) {
    if (s === step) break
    const c = mxChange(plan, s)
    if (c?.after) ttl = c.after.ttl
  }
  return ttl
}

/** The TTL of the last MX RRset whose data a step of `sequence` replaced before `step`: how long a resolver may still hold it. */
export function replacedMxTtl(plan: PlanState, sequence: readonly Step[], step: Step, start: number | null = plan.observed.mx.ttl): number | null {
  let ttl = start
  for (const s of sequence) {
    if (s === step) break
    const c = mxChange(plan, s)
    if (c && changesMxData(c)) ttl = c.before?.ttl ?? ttl
  }
  return ttl
}

/** The MX the plan ends with: what senders reach once every step is done. */
export function finalMx(plan: PlanState): MxRecord[] {
  let mx: MxRecord[] = plan.observed.mx.records
  for (const step of plan.steps) {
    const c = mxChange(plan, step)
    if (c) mx = mxOf(c.after)
  }
  return mx
}

/** What verification expects now: the MX after the latest finished MX change, with the TTL of the set it replaced. */
export function expectedMx(plan: PlanState): {expected: MxRecord[]; publishedTtl: number | null; step: Step | null} {
  const rollback = plan.rollbackPlan?.procedures.find((p) => p.from === plan.rollback?.procedure)
  const done = [...plan.steps, ...(rollback?.steps ?? [])]
  for (let i = done.length - 1; i >= 0; i--) {
    const step = done[i]
    if (step.kind !== 'dns-change' || step.status !== 'done') continue
    const c = mxChange(plan, step)
    if (c) return {expected: mxOf(c.after), publishedTtl: c.before?.ttl ?? plan.observed.mx.ttl, step}
  }
  return {expected: plan.observed.mx.records, publishedTtl: plan.observed.mx.ttl, step: null}
}

/** The domain-verification TXT the target asks for, as the plan's audit recorded it. */
export function targetVerification(plan: PlanState): string | null {
  return plan.preflight?.target.verification ?? plan.config.target.verification ?? null
}

function mxOf(set: RRsetChange['after']): MxRecord[] {
  return (set?.records ?? []).flatMap((r) => (typeof r === 'object' && 'exchange' in r ? [{priority: r.priority, exchange: r.exchange}] : []))
}
