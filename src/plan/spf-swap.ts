import {rewriteTxt, txtText, type TxtData} from '../dns/records.js'
import type {RRsetJson} from '../state/schema.js'
import type {Companions} from './companions.js'
import {rrsetJson, SWAP_STEP_IDS, type PlanContext} from './context.js'

/** The apex TXT RRset as the steps planned so far leave it. */
export function latestApexTxt(ctx: PlanContext, companions: Companions): RRsetJson | null {
  const changed = ctx.steps.flatMap((s) => (s.optional ? [] : (s.changes ?? []))).filter((c) => c.type === 'TXT' && c.name === ctx.domain)
  if (changed.length > 0) return changed[changed.length - 1].after
  return companions.apexTxt ? rrsetJson(companions.apexTxt) : null
}

/**
 * source.spfDropAtSwap: the SPF record changes in the swap update itself (one
 * RFC 2136 update, or one set of console edits), so the source's includes
 * leave when its MX does and the target's arrive when its MX does.
 */
export function addSpfSwap(ctx: PlanContext, companions: Companions): void {
  const swap = companions.swapSpf
  if (!swap || swap.from === swap.to) return
  const step = ctx.steps.find((s) => SWAP_STEP_IDS.includes(s.id))
  const before = latestApexTxt(ctx, companions)
  if (!step || !before) return
  ctx.touch(ctx.domain, 'TXT')
  step.changes = [...(step.changes ?? []), {name: ctx.domain, type: 'TXT', before, after: {...before, records: before.records.map((r) => (txtText(r as TxtData) === swap.from ? rewriteTxt(r as TxtData, swap.to) : r))}}]
  step.why = `${step.why ?? ''} In the same update the SPF record becomes ${JSON.stringify(swap.to)} (source.spfDropAtSwap): the source stops sending for ${ctx.domain} now, and the record never needs the lookups of both providers.`.trim()
  ctx.handled.push({code: 'SPF_TARGET_INCLUDE_MISSING', step: step.id}, {code: 'SPF_TOO_MANY_LOOKUPS', step: step.id})
}
