import {z} from 'zod'
import {canonicalName} from '../dns/names.js'
import {changesMxData, finalMx, mxChange} from './queries.js'
import type {PlanState, Step} from './schema.js'

/**
 * The decommission-safe time (DESIGN.md "Mail continuity"): after the step
 * that took the last source host out of the MX, resolvers may still hand out
 * the set that held it for as long as they cache it, which is the TTL it was
 * published with, or longer where a resolver clamps TTLs (Unbound
 * cache-min-ttl, Knot Resolver's 5 s minimum, some ISP resolvers).
 * Verification records every clamp it sees; the longest one counts. Until
 * then the source must keep accepting mail.
 */

/** The part of a verify step's evidence this reads (src/run/effects.ts writes it). */
const clampEvidence = z.object({
  resolvers: z
    .array(
      z.object({
        name: z.string(),
        address: z.string(),
        clamping: z.object({rrset: z.enum(['old', 'new']), observedTtl: z.number(), publishedTtl: z.number(), excess: z.number(), observedAt: z.string().optional()}).optional(),
      }),
    )
    .default([]),
})

export interface ClampSeen {
  resolver: string
  address: string
  rrset: 'old' | 'new'
  observedTtl: number
  publishedTtl: number
  observedAt: string | null
  /** The verify step that saw it. */
  step: string
}

export interface DecommissionSafe {
  /** Milliseconds since the epoch. */
  at: number
  /** The step after which no source host is published, and when every authoritative server served it. */
  step: string
  swapAt: number
  /** The TTL the last set holding a source host was published with. */
  publishedTtl: number
  /** The longest time a resolver may hold that set: the published TTL, or the longest clamp seen. */
  holdSeconds: number
  margin: number
  /** The clamp that made it longer than the published TTL, if one did. */
  clamp: ClampSeen | null
  /** Verification after that step has not finished: a clamp may still show up and move the time. */
  provisional: boolean
}

/** Every clamp that the plan's finished verify steps recorded. */
export function clampsSeen(plan: PlanState): ClampSeen[] {
  return plan.steps.flatMap((s) => {
    if (s.kind !== 'verify' || s.evidence === undefined) return []
    const parsed = clampEvidence.safeParse(s.evidence)
    if (!parsed.success) return []
    return parsed.data.resolvers.flatMap((r) =>
      r.clamping ? [{resolver: r.name, address: r.address, rrset: r.clamping.rrset, observedTtl: r.clamping.observedTtl, publishedTtl: r.clamping.publishedTtl, observedAt: r.clamping.observedAt ?? null, step: s.id}] : [],
    )
  })
}

/** The exchanges mail leaves: today's MX hosts that the plan does not end with. */
function sourceHosts(plan: PlanState): Set<string> {
  const kept = new Set(finalMx(plan).map((m) => canonicalName(m.exchange)))
  return new Set(plan.observed.mx.records.map((m) => canonicalName(m.exchange)).filter((x) => x !== '' && x !== '.' && !kept.has(x)))
}

/** The forward step whose change takes the last source host out of the MX (swap-mx, or the staged remove-source). */
export function sourceRemovalStep(plan: PlanState): Step | null {
  const source = sourceHosts(plan)
  if (source.size === 0) return null
  const holds = (set: {records: unknown[]} | null | undefined) =>
    (set?.records ?? []).some((r) => typeof r === 'object' && r !== null && 'exchange' in r && source.has(canonicalName(String((r as {exchange: string}).exchange))))
  let found: Step | null = null
  for (const s of plan.steps) {
    const c = mxChange(plan, s)
    if (s.kind === 'dns-change' && c && changesMxData(c) && holds(c.before) && !holds(c.after)) found = s
  }
  return found
}

/** Null until that step is done (or when the plan moves no source host, or was rolled back: the source stays). */
export function decommissionSafe(plan: PlanState): DecommissionSafe | null {
  if (plan.rollback) return null
  const step = sourceRemovalStep(plan)
  if (!step || step.status !== 'done' || !step.finishedAt) return null
  const change = mxChange(plan, step)
  const publishedTtl = change?.before?.ttl ?? plan.observed.mx.ttl ?? 0
  const swapAt = Date.parse(step.finishedAt)
  const margin = plan.config.ttl.margin
  const index = plan.steps.indexOf(step)
  // Clamps seen from the first MX data change on: a resolver that raised one TTL raises them all.
  const firstSwap = plan.steps.findIndex((s) => s.kind === 'dns-change' && changesMxData(mxChange(plan, s)))
  const clamps = clampsSeen(plan).filter((c) => plan.steps.findIndex((s) => s.id === c.step) > firstSwap)
  let holdSeconds = publishedTtl
  let clamp: ClampSeen | null = null
  let latest = swapAt + publishedTtl * 1000
  for (const c of clamps) {
    // A cache seen holding the old set keeps it at least until then; any cache of that resolver may have taken it just before the swap.
    const until = Math.max(swapAt + c.observedTtl * 1000, c.rrset === 'old' && c.observedAt ? Date.parse(c.observedAt) + (c.observedTtl + 1) * 1000 : 0)
    if (until > latest) {
      latest = until
      clamp = c
      holdSeconds = Math.round((until - swapAt) / 1000)
    }
  }
  const verify = plan.steps.slice(index + 1).find((s) => s.kind === 'verify')
  return {at: latest + margin * 1000, step: step.id, swapAt, publishedTtl, holdSeconds, margin, clamp, provisional: verify !== undefined && verify.status !== 'done'}
}
