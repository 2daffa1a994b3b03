import {rewriteTxt, txtText, type TxtData} from '../dns/records.js'
import {formatDuration} from '../lib/time.js'
import type {Companions} from './companions.js'
import type {PlanContext} from './context.js'
import {sourceMx} from './continuity.js'
import {latestApexTxt} from './spf-swap.js'
import {spfWithoutInclude} from './spf-merge.js'

/** After the soak: the retired provider's SPF include leaves the SPF record. */
export function addCleanup(ctx: PlanContext, companions: Companions): void {
  const {config, source, target, domain} = ctx
  // The record as the forward steps leave it (an SPF swap at the swap may have dropped the include already).
  const beforeTxt = latestApexTxt(ctx, companions)
  const spfNow = companions.swapSpf?.to ?? companions.mergedSpf ?? companions.spfRecords[0] ?? null
  if (!config.cleanup.enabled || !source.spfInclude || !spfNow || source.spfInclude === target.spfInclude) return
  const without = spfWithoutInclude(spfNow, source.spfInclude)
  if (!without) return
  if (!beforeTxt) return
  ctx.touch(domain, 'TXT')
  ctx.add({
    id: 'soak',
    kind: 'wait',
    title: `Soak for ${formatDuration(config.cleanup.soak)}`,
    why: 'Mail still queued at senders for the old hosts, and mail the source still sends, keeps passing SPF meanwhile.',
    optional: true,
    waitFor: [{after: 'confirm-mail-flow', seconds: config.cleanup.soak, reason: `cleanup.soak of ${formatDuration(config.cleanup.soak)} after the mail flow was confirmed`}],
  })
  ctx.add({
    id: 'cleanup',
    kind: 'dns-change',
    title: `Drop include:${source.spfInclude} from SPF`,
    why: `The source (${source.profile?.name ?? source.spfInclude}) no longer sends for ${domain}; one lookup fewer in SPF.${companions.sts.needsUpdate ? ' Also remove the source hosts from the MTA-STS policy and give the TXT a new id.' : ''}`,
    optional: true,
    // The source may still receive (and send) mail until no resolver hands out its MX.
    ...(sourceMx(ctx).length > 0 ? {afterDecommissionSafe: true} : {}),
    changes: [{name: domain, type: 'TXT', before: beforeTxt, after: {...beforeTxt, records: beforeTxt.records.map((r) => (txtText(r as TxtData) === spfNow ? rewriteTxt(r as TxtData, without) : r))}}],
  })
}
