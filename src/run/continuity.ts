import {formatDuration, formatInstant, formatWhen} from '../lib/time.js'
import {clampsSeen, decommissionSafe} from '../state/decommission.js'
import {mxTtlAt, swapDone} from '../state/queries.js'
import type {PlanState} from '../state/schema.js'

/**
 * What a person must know about the source once the swap is done: until when
 * it must keep accepting mail, and how long a rollback would take to reach
 * every resolver, with the clamping resolvers verification saw.
 */

/** "keep the source accepting mail until Wed 2 Dec 2026 14:05:09 UTC (in 5 min): …". */
export function keepSourceLine(plan: PlanState, now: number): string | null {
  const d = decommissionSafe(plan)
  if (!d) return null
  const why = d.clamp
    ? `the swap was served everywhere at ${formatInstant(d.swapAt)}; ${d.clamp.resolver} (${d.clamp.address}) clamps TTLs and may hand out the old MX for ${d.holdSeconds} s although it was published with TTL ${d.publishedTtl} s; margin ${d.margin} s`
    : `the swap was served everywhere at ${formatInstant(d.swapAt)}; resolvers may hand out the old MX for its TTL of ${d.publishedTtl} s; margin ${d.margin} s`
  const when = d.at > now ? formatWhen(d.at, now).replace(/ \(.*\)$/, '') : 'passed'
  return `keep the source accepting mail until ${formatInstant(d.at)} (${when}${d.provisional ? '; verification may still move it' : ''}): ${why}`
}

/** How long a rollback now takes to reach every resolver: the TTL of the new MX, or longer where a resolver clamps. */
export function rollbackReachLine(plan: PlanState): string | null {
  if (!swapDone(plan)) return null
  const last = [...plan.steps].reverse().find((s) => s.kind === 'dns-change' && s.status === 'done')
  const ttl = last ? mxTtlAt(plan, plan.steps, plan.steps[plan.steps.indexOf(last) + 1] ?? last) : null
  const published = ttl ?? plan.config.ttl.lowered
  const clamps = clampsSeen(plan)
  const longest = clamps.reduce<(typeof clamps)[number] | null>((a, c) => (a === null || c.observedTtl > a.observedTtl ? c : a), null)
  if (!longest || longest.observedTtl <= published) return `a rollback would reach every resolver within ${formatDuration(published)} (the new MX's TTL of ${published} s)`
  return `a rollback would not reach every resolver within the lowered TTL of ${published} s: ${longest.resolver} (${longest.address}) clamps TTLs and held an MX answer for ${longest.observedTtl} s, so allow ${formatDuration(longest.observedTtl)}`
}
