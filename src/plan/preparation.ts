import {formatDuration} from '../lib/time.js'
import type {Step} from '../state/schema.js'
import type {Companions} from './companions.js'
import {capitalize, mxSet, type PlanContext} from './context.js'

/**
 * The steps before the swap that both strategies share: the pre-flight, the
 * MTA-STS policy checkpoint, the companion records and the TTL lowering.
 * Returns the wait rules the swap must respect.
 */
export function addPreparation(ctx: PlanContext, companions: Companions): NonNullable<Step['waitFor']> {
  const {domain, ttl} = ctx
  ctx.add({
    id: 'preflight',
    kind: 'audit',
    title: 'Pre-flight audit',
    why: 'Runs the audit again at run time: findings of severity error stop the plan before any change.',
  })
  if (companions.sts.needsUpdate && companions.sts.record) {
    const hosts = [...new Set([...ctx.oldRecords, ...ctx.targetMx].map((m) => m.exchange).filter((x) => x !== '.'))]
    const finding = companions.sts.finding
    ctx.add({
      id: 'update-mta-sts-policy',
      kind: 'checkpoint',
      title: 'Publish an MTA-STS policy that allows both the current and the target MX hosts',
      why: `${finding ? finding.message + ' ' : `${domain} publishes MTA-STS and no audit checked the policy. `}Publish at https://mta-sts.${domain}/.well-known/mta-sts.txt a policy (same mode) whose mx: lines cover ${hosts.join(', ')}; senders that cached the old policy would refuse the new MX hosts. The HTTPS body changes before the TXT id (RFC 8461 §8.3).`,
    })
  }
  const companionRule = addCompanionStep(ctx, companions)
  warnClampedTtl(ctx)
  const lowerNeeded = ttl.old !== null && ttl.old > ttl.lowered
  if (ctx.oldMx && lowerNeeded) {
    ctx.touch(domain, 'MX')
    ctx.add({
      id: 'lower-ttl',
      kind: 'dns-change',
      title: `Lower the MX TTL from ${ttl.old} s to ${ttl.lowered} s`,
      why: `Same MX data, shorter TTL, so the swap reaches every resolver within ${formatDuration(ttl.lowered)} and a rollback is as fast.`,
      changes: [{name: domain, type: 'MX', before: mxSet(ctx, ctx.oldRecords, ttl.old ?? ttl.lowered), after: mxSet(ctx, ctx.oldRecords, ttl.lowered)}],
    })
  } else if (ttl.old !== null) {
    ctx.notes.push(`The MX TTL is ${ttl.old} s, already at or below ${ttl.lowered} s: no TTL lowering needed.`)
  } else {
    ctx.notes.push(`${domain} has no MX today${ctx.observed.soa ? `: resolvers may keep the cached "no MX" answer for up to ${ttl.negative} s (RFC 2308) after the swap, and deliver to the domain's address records meanwhile` : ''}.`)
  }
  return [
    ...(lowerNeeded && ctx.oldMx
      ? [{after: 'lower-ttl', seconds: (ttl.old ?? 0) + ttl.margin, reason: `resolvers that fetched the MX RRset just before the TTL was lowered keep it for the old TTL of ${ttl.old} s (${formatDuration(ttl.old ?? 0)}, the largest any authoritative server served), plus ${ttl.margin} s margin`}]
      : []),
    ...companionRule,
  ]
}

/** publish-companions, and how long the swap must wait after it for caches (negative ones included) to hold the new records. */
function addCompanionStep(ctx: PlanContext, companions: Companions): NonNullable<Step['waitFor']> {
  const {ttl} = ctx
  if (companions.changes.length === 0) {
    ctx.notes.push('Every record the target needs beside MX is already published: no publish-companions step.')
    return []
  }
  const created = companions.changes.filter((c) => c.before === null)
  const changed = companions.changes.filter((c) => c.before !== null)
  const cacheSeconds = Math.max(created.length > 0 ? (ttl.negative ?? 0) : 0, ...changed.map((c) => c.before?.ttl ?? 0))
  const parts = [
    created.length > 0 ? `${created.map((c) => c.name).join(', ')} did not exist, and resolvers cache "no such record" for ${ttl.negative ?? '?'} s (RFC 2308: min(SOA MINIMUM, SOA TTL))` : '',
    changed.length > 0 ? `${changed.map((c) => `${c.name} ${c.type}`).join(', ')} ${changed.length > 1 ? 'are' : 'is'} cached for up to ${Math.max(...changed.map((c) => c.before?.ttl ?? 0))} s` : '',
  ].filter(Boolean)
  ctx.add({
    id: 'publish-companions',
    kind: 'dns-change',
    title: 'Publish the records the target needs beside MX',
    why: `${capitalize(companions.why.join('; '))}. Published now so every cache has them (negative answers included) before the swap.`,
    changes: companions.changes,
  })
  return [{after: 'publish-companions', seconds: cacheSeconds + ttl.margin, reason: `${parts.join('; ')}; plus ${ttl.margin} s margin`}]
}

/** The wait before the swap: the latest of the rules decides. */
export function addWait(ctx: PlanContext, id: string, rules: NonNullable<Step['waitFor']>): void {
  if (rules.length === 0) return
  const longest = [...rules].sort((a, b) => b.seconds - a.seconds)[0]
  ctx.add({
    id,
    kind: 'wait',
    title: `Wait until every cache holds at most the lowered TTL (${formatDuration(longest.seconds)} after ${longest.after})`,
    why: 'The swap must not happen while any cache could still hold what the earlier steps replaced. Each wait counts from when every authoritative server serves that step\'s change, never from a resolver\'s decremented TTL; the latest one decides.',
    waitFor: rules,
  })
  ctx.handled.push({code: 'MX_TTL_HIGH', step: id})
}

/** A checkpoint to accept losing DANE, when the source has TLSA records and the target has none. */
export function addDane(ctx: PlanContext): void {
  const dane = ctx.observed.findings.find((f) => f.code === 'DANE_TLSA_SOURCE_ONLY')
  if (!dane) return
  ctx.add({
    id: 'acknowledge-dane',
    kind: 'checkpoint',
    title: 'Accept that the target MX hosts have no DANE TLSA records',
    why: `${dane.message} After the swap, senders that enforce DANE fall back to opportunistic TLS for ${ctx.domain}.${ctx.target.profile.id === 'microsoft365' ? ' Microsoft 365 offers DANE inbound on its *.mx.microsoft hosts (DNSSEC-signed): use that MX value in target.mx to keep it.' : ''}`,
  })
  ctx.handled.push({code: 'DANE_TLSA_SOURCE_ONLY', step: 'acknowledge-dane'})
}

/** Raises the MX TTL to its final value once the cutover no longer needs a fast rollback. */
export function addRestore(ctx: PlanContext, currentTtl: number, after: string): void {
  const {ttl, config} = ctx
  if (ttl.final === currentTtl) return
  ctx.add({
    id: 'restore-ttl',
    kind: 'dns-change',
    title: `Raise the MX TTL from ${currentTtl} s to ${ttl.final} s`,
    why: `Back to ${config.ttl.final !== undefined ? 'ttl.final from the config' : ttl.old !== null ? 'the TTL the MX had before the cutover' : 'a usual MX TTL'}, once ${after}: until then a rollback stays fast.`,
    changes: [{name: ctx.domain, type: 'MX', before: mxSet(ctx, ctx.targetMx, currentTtl), after: mxSet(ctx, ctx.targetMx, ttl.final)}],
  })
}

/**
 * Below this, a lowered TTL promises more than resolvers give: many clamp
 * short TTLs up (Unbound's cache-min-ttl, ISP resolvers at 60 to 300 s, some
 * at an hour), so caches may keep the old MX well past the lowered TTL.
 */
export const RESOLVER_TTL_FLOOR = 60

function warnClampedTtl(ctx: PlanContext): void {
  const {lowered} = ctx.ttl
  if (lowered >= RESOLVER_TTL_FLOOR) return
  ctx.notes.push(
    `Warning: ttl.lowered is ${lowered} s. Many resolvers clamp TTLs that short up to 60 s, 300 s or more (cache-min-ttl), so caches may keep the old MX well past ${formatDuration(lowered)} after the swap: the verification waits for what the resolvers really do, and the source must keep accepting mail until then. A lowered TTL of 60 to 300 s costs nothing more and is honoured.`,
  )
}
