import {canonicalName} from '../dns/names.js'
import {formatDuration} from '../lib/time.js'
import {getProfile} from '../profiles/index.js'
import type {MxRecord} from '../state/schema.js'
import type {PlanContext} from './context.js'

/**
 * Mail continuity in the plan (DESIGN.md "Mail continuity"): the target is
 * probed right before the swap, the source after it, and once more at the
 * decommission-safe time, after which it may be switched off.
 */

/** Today's MX hosts that the target does not keep: where mail still goes until caches expire. */
export function sourceMx(ctx: PlanContext): MxRecord[] {
  const target = new Set(ctx.targetMx.map((m) => canonicalName(m.exchange)))
  return ctx.oldRecords.filter((m) => m.exchange !== '.' && !target.has(canonicalName(m.exchange)))
}

/** Right before the swap (or the promotion): a target that refuses the domain now would bounce its mail after it. */
export function addProbeBeforeSwap(ctx: PlanContext): void {
  ctx.add({
    id: 'probe-before-swap',
    kind: 'smtp-probe',
    title: `Probe the target MX (RCPT TO:<postmaster@${ctx.domain}>)`,
    why: `Every address of ${ctx.targetMx.map((m) => m.exchange).join(', ')} is asked to take mail for ${ctx.domain}, as senders will be once the MX points there (never DATA). A refusal stops the run before the swap; a host that cannot be reached from here is a warning (port 25 is often blocked from admin networks).`,
    probe: {role: 'target', hosts: ctx.targetMx, onRefusal: 'stop'},
  })
}

/** After the swap is verified: the source still gets mail from every cache that holds the old MX. */
export function addProbeSource(ctx: PlanContext): void {
  const source = sourceMx(ctx)
  if (source.length === 0) return
  ctx.add({
    id: 'probe-source',
    kind: 'smtp-probe',
    title: 'Probe the source MX: it must still accept mail',
    why: `Resolvers that cached the old MX keep sending senders to ${source.map((m) => m.exchange).join(', ')} until the decommission-safe time; a refusal now bounces that mail, so it is said loudly (a rollback would not help).`,
    probe: {role: 'source', hosts: source, onRefusal: 'warn'},
  })
}

/**
 * At the decommission-safe time: the swap + the longest time a resolver may
 * hand out the old MX (its TTL, or the longest clamp verification saw) +
 * margin. The wait rule is the estimate without clamps, for the review; the
 * runner waits for the measured time.
 */
export function addDecommissionCheck(ctx: PlanContext, removal: {step: string; ttl: number}): void {
  const source = sourceMx(ctx)
  if (source.length === 0) return
  const seconds = removal.ttl + ctx.ttl.margin
  ctx.add({
    id: 'decommission-check',
    kind: 'smtp-probe',
    title: 'At the decommission-safe time, probe the source once more',
    why: `After ${removal.step}, resolvers may hand out the old MX for its TTL (${formatDuration(removal.ttl)}), longer where one clamps TTLs (verification measures it), plus the margin: until then the source must keep accepting mail. Once this step is done it may be switched off.`,
    probe: {role: 'source', hosts: source, onRefusal: 'warn'},
    waitFor: [{after: removal.step, seconds, reason: `the old MX's TTL (${removal.ttl} s) + margin ${ctx.ttl.margin} s after ${removal.step}, later if a resolver clamps TTLs`}],
    afterDecommissionSafe: true,
  })
}

/**
 * A filtering gateway as the target, in front of a mailbox provider: once the
 * MX points at the gateway, the provider receives the domain's mail from the
 * gateway's servers, and must be told to accept them (an inbound connector),
 * or it filters the relayed mail as if the gateway had sent it.
 */
export function addGatewayConnector(ctx: PlanContext): void {
  const gateway = ctx.target.profile
  if (gateway.kind !== 'gateway' || !gateway.gateway) return
  const behind = ctx.config.target.behind ? getProfile(ctx.config.target.behind) : null
  const ranges = ctx.config.target.gatewayIpRanges ?? gateway.gateway.ipRanges
  const where = behind?.inboundGateway ? `${behind.inboundGateway.where} (${behind.inboundGateway.docs})` : `declare ${gateway.name}'s servers as the only ones that may deliver mail for ${ctx.domain} on the mail server behind it`
  const list = ranges.length > 0 ? `accept mail from ${ranges.join(', ')}` : `accept mail from the ranges in ${gateway.gateway.ipRangesWhere} (give them as target.gatewayIpRanges to have them listed here)`
  ctx.add({
    id: 'confirm-inbound-connector',
    kind: 'checkpoint',
    title: `Declare ${gateway.name} at ${behind?.name ?? 'the mail server behind it'}: ${ranges.length > 0 ? `its ${ranges.length} IP range${ranges.length === 1 ? '' : 's'}` : 'its IP ranges'}`,
    why: `After the swap ${behind?.name ?? 'the mail server behind the gateway'} receives the mail for ${ctx.domain} from ${gateway.name}, not from the senders. ${where}: ${list}. Without it, the relayed mail is judged by the gateway's SPF and reputation, not the sender's, and can be rejected or junked. Confirm once it is in place.`,
  })
}

/**
 * Today's MX points at a filtering gateway and the target is not it: the
 * mailbox provider behind the gateway may accept mail only from the gateway
 * (a restricted inbound connector, Gmail's "reject all mail not from gateway
 * IPs"), and would refuse the mail senders deliver directly after the swap.
 */
export function noteGatewaySource(ctx: PlanContext): void {
  const source = ctx.source.profile
  if (source?.kind !== 'gateway' || source.id === ctx.target.profile.id) return
  ctx.notes.push(
    `Today's MX points at ${source.name}, a filtering gateway: if ${ctx.target.profile.name} was set to accept mail for ${ctx.domain} only from it (an inbound connector restricted to its IP ranges, or Gmail's "reject all mail not from gateway IPs"), lift that restriction before the swap, or it refuses the mail senders then deliver directly; the probe before the swap stops the run if it does.`,
  )
}
