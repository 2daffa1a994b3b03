import {bounded} from '../lib/bounded.js'
import {UserError} from '../lib/errors.js'
import {createHash} from 'node:crypto'
import type {PlanState, RollbackPlan, Step} from './schema.js'

/**
 * The plan digest: sha256 of what a reviewer approves (every step as planned,
 * its changes, and the stored rollback), in a canonical form, so a change
 * ticket can name the exact plan that may run (`mxcut run --digest X`).
 *
 * Canonical form: a fixed list of the fields a step is planned with (never
 * its run-time fields: status, times, notBefore, evidence, error, nor the
 * review's estimated start), serialised with object keys sorted at every
 * level and arrays in their order. The digest therefore does not change as
 * the plan runs, and does not depend on how a JSON writer ordered the keys.
 */

const DIGEST_VERSION = 'mxcut-plan-digest/1'

/** The planned fields of a step, in the order they are hashed (order does not matter: keys are sorted). */
const PLANNED_FIELDS = ['id', 'kind', 'title', 'why', 'optional', 'waitFor', 'changes', 'expectMx', 'handles', 'probe', 'afterDecommissionSafe'] as const

/** Characters shown in reviews and accepted by --digest as the shortest prefix. */
export const SHORT_DIGEST_LENGTH = 12
export const MIN_DIGEST_PREFIX = 8

type Canonical = null | boolean | number | string | Canonical[] | {[key: string]: Canonical}

function plannedStep(step: Step): Canonical {
  const out: Record<string, Canonical> = {}
  for (const field of PLANNED_FIELDS) {
    const value = step[field]
    if (value !== undefined) out[field] = value as Canonical
  }
  return out
}

function plannedRollback(rollback: RollbackPlan | undefined): Canonical {
  if (!rollback) return null
  return {
    procedures: rollback.procedures.map((p) => ({from: p.from, title: p.title, steps: p.steps.map(plannedStep)})),
    optional: rollback.optional.map(plannedStep),
  }
}

/** Sorted keys, no whitespace, undefined left out; strings and numbers as JSON writes them. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`)
      return String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
    }
    default:
      throw new Error(`canonicalJson: a ${typeof value} has no JSON form`)
  }
}

/** The full digest (64 hex digits) of a plan's steps, changes and rollback. */
export function planDigest(plan: Pick<PlanState, 'domain' | 'zone' | 'steps' | 'rollbackPlan'>): string {
  const canonical = canonicalJson({
    digest: DIGEST_VERSION,
    domain: plan.domain,
    zone: plan.zone,
    steps: plan.steps.map(plannedStep),
    rollback: plannedRollback(plan.rollbackPlan),
  })
  return createHash('sha256').update(canonical, 'utf8').digest('hex')
}

/** As reviews show it. */
export function shortDigest(digest: string): string {
  return digest.slice(0, SHORT_DIGEST_LENGTH)
}

/** Whether `given` (a full digest or a prefix of at least MIN_DIGEST_PREFIX hex digits, any case) names `digest`. */
export function digestMatches(digest: string, given: string): boolean {
  const g = given.trim().toLowerCase().replace(/^sha256:/, '')
  return g.length >= MIN_DIGEST_PREFIX && /^[0-9a-f]+$/.test(g) && digest.startsWith(g)
}

/**
 * Refuses a plan whose digest is not the approved one (run/resume --digest):
 * exit 2, one line, before anything is read from DNS or written.
 */
export function assertDigest(plan: PlanState, wanted: string, planPath: string): void {
  const digest = planDigest(plan)
  if (!/^(sha256:)?[0-9a-fA-F]{8,64}$/.test(wanted.trim())) {
    throw new UserError(`--digest ${bounded(wanted, 80)}: give the digest mxcut plan printed (at least 8 hex digits)`)
  }
  if (!digestMatches(digest, wanted)) {
    throw new UserError(`plan ${planPath} has digest ${shortDigest(digest)}, not the approved ${bounded(wanted.trim(), 80)}: it is not the plan that was reviewed; nothing was done`)
  }
}
