import {dirname, resolve} from 'node:path'

/**
 * Files kept beside a plan: `contoso.com.plan.json` has
 * `contoso.com.plan.lock` and `contoso.com.plan.journal.ndjson`.
 */
export interface PlanPaths {
  plan: string
  lock: string
  journal: string
  dir: string
}

export function planPaths(planPath: string): PlanPaths {
  const plan = resolve(planPath)
  const base = plan.replace(/\.json$/i, '')
  return {plan, lock: `${base}.lock`, journal: `${base}.journal.ndjson`, dir: dirname(plan)}
}
