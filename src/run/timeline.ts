import {decommissionSafe, sourceRemovalStep} from '../state/decommission.js'
import type {PlanState, Step} from '../state/schema.js'

export type NotBefore = {kind: 'none'} | {kind: 'at'; at: number; reason: string} | {kind: 'unknown'; waitingFor: string}

/**
 * When a step may start: the latest of its wait rules, each counted from the
 * moment the referenced step finished (for a DNS change: when every
 * authoritative server served it). Unknown until those steps are done.
 */
export function notBefore(plan: PlanState, step: Step): NotBefore {
  const byRules = notBeforeRules(plan, step)
  if (!step.afterDecommissionSafe || byRules.kind === 'unknown') return byRules
  // Known once the step that removes the source from the MX is done (src/state/decommission.ts).
  const safe = decommissionSafe(plan)
  if (!safe) {
    const removal = sourceRemovalStep(plan)
    return removal && removal.status !== 'done' ? {kind: 'unknown', waitingFor: removal.id} : byRules
  }
  if (byRules.kind === 'at' && byRules.at >= safe.at) return byRules
  return {kind: 'at', at: safe.at, reason: 'the decommission-safe time: no resolver hands out the old MX any more'}
}

function notBeforeRules(plan: PlanState, step: Step): NotBefore {
  const rules = step.waitFor ?? []
  if (rules.length === 0) return step.notBefore ? {kind: 'at', at: Date.parse(step.notBefore), reason: 'recorded'} : {kind: 'none'}
  let best: {at: number; reason: string} | null = null
  for (const rule of rules) {
    const ref = plan.steps.find((s) => s.id === rule.after)
    if (!ref || ref.status === 'pending' || ref.status === 'running' || ref.status === 'failed') return {kind: 'unknown', waitingFor: rule.after}
    // A skipped step counts from when it was skipped, or imposes nothing if it never ran.
    if (!ref.finishedAt) continue
    const at = Date.parse(ref.finishedAt) + rule.seconds * 1000
    if (!best || at > best.at) best = {at, reason: rule.reason}
  }
  return best ? {kind: 'at', ...best} : {kind: 'none'}
}

/** The first step still to do, or null when the plan is complete. */
export function nextStepIndex(plan: PlanState): number | null {
  const i = plan.steps.findIndex((s) => s.status !== 'done' && s.status !== 'skipped')
  return i === -1 ? null : i
}
