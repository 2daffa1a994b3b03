import {formatDuration} from '../lib/time.js'
import type {MxRecord, RRsetChange, Step} from '../state/schema.js'
import {sameData} from '../zone/rrset.js'
import {mxLines, mxSet, rrsetJson, type PlanContext} from './context.js'
import {addDecommissionCheck, addGatewayConnector, addProbeBeforeSwap, addProbeSource} from './continuity.js'
import {addDane, addRestore, addWait} from './preparation.js'

/** The MX change of a swap, and the autodiscover CNAME repointed in the same update when one exists. */
export function swapChanges(ctx: PlanContext, before: MxRecord[], after: MxRecord[], ttl: number): RRsetChange[] {
  const changes: RRsetChange[] = [{name: ctx.domain, type: 'MX', before: before.length > 0 ? mxSet(ctx, before, ttl) : null, after: mxSet(ctx, after, ttl)}]
  const ad = ctx.target.autodiscover
  const cname = ad ? ctx.get(ad.name, 'CNAME') : null
  if (ad && cname && !sameData(cname, {type: 'CNAME', records: [ad.value]}) && !ctx.get(ad.name, 'A')) {
    ctx.touch(ad.name, 'CNAME')
    changes.push({name: ad.name, type: 'CNAME', before: rrsetJson(cname), after: {...rrsetJson(cname), records: [ad.value]}})
  }
  return changes
}

/** What the confirm-mail-flow checkpoint says of a rollback: no promise a clamping resolver would break. */
export function rollbackWhy(ttl: number): string {
  return `resolvers return to the original MX as their copy of the new one expires, within the lowered TTL (${formatDuration(ttl)}) where they obey TTLs; where verification saw a resolver clamp TTLs, the checkpoint says how long instead.`
}

export function swapWhy(ctx: PlanContext, what: string): string {
  return `${what}${ctx.nullMx ? ' The null MX (RFC 7505) is replaced in the same update, so there is no moment without it or with both.' : ''}`
}

/** Replace: wait out the old TTL, confirm, swap the whole MX RRset in one update, verify, confirm mail flow. */
export function addReplaceSteps(ctx: PlanContext, waitRules: NonNullable<Step['waitFor']>): void {
  const {domain, ttl, oldRecords, targetMx} = ctx
  ctx.touch(domain, 'MX')
  addWait(ctx, ttl.old !== null && ttl.old > ttl.lowered ? 'wait-old-ttl' : 'wait-companions', waitRules)
  addDane(ctx)
  addGatewayConnector(ctx)
  ctx.add({
    id: 'confirm-swap',
    kind: 'checkpoint',
    title: 'Confirm the swap',
    why: `Shows the exact change: MX ${mxLines(oldRecords)} → ${mxLines(targetMx)}. Abort, pause, or go.`,
  })
  addProbeBeforeSwap(ctx)
  ctx.add({
    id: 'swap-mx',
    kind: 'dns-change',
    title: `Replace the MX RRset with the target's (${mxLines(targetMx)})`,
    why: swapWhy(ctx, `The whole MX RRset is replaced in one update at TTL ${ttl.swap} s, so no resolver ever sees a mix the plan did not intend.`),
    changes: swapChanges(ctx, oldRecords, targetMx, ttl.swap),
  })
  ctx.add({
    id: 'verify-propagation',
    kind: 'verify',
    title: 'Verify the new MX on every authoritative server, then on the resolvers',
    why: `Converged when every authoritative server serves the new RRset (same SOA serial) and every resolver answers it; resolvers that cached the old RRset drop it within ${formatDuration(ttl.swap)} if they honour TTLs (resolvers that clamp short TTLs take longer, and the verification waits for them).`,
    expectMx: targetMx,
  })
  addProbeSource(ctx)
  ctx.add({
    id: 'confirm-mail-flow',
    kind: 'checkpoint',
    title: 'Confirm that mail arrives at the target',
    why: `Send test messages from outside (and check the message trace of the target). If mail does not arrive, roll back: ${rollbackWhy(ttl.swap)}`,
  })
  addRestore(ctx, ttl.swap, 'mail flow is confirmed')
  addDecommissionCheck(ctx, {step: 'swap-mx', ttl: ttl.swap})
}
