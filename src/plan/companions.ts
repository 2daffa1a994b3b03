import {isSpfRecord} from '../audit/spf-record.js'
import type {Finding} from '../audit/types.js'
import {answerText, rewriteTxt, txtText, type TxtData} from '../dns/records.js'
import type {RRsetChange} from '../state/schema.js'
import {sameData, txtTexts, type RRset} from '../zone/rrset.js'
import {rrsetJson, SPF_LOOKUP_LIMIT, type PlanContext} from './context.js'
import {spfWithInclude, spfWithoutInclude} from './spf-merge.js'

/**
 * The records the target needs beside MX (SPF include, verification TXT,
 * autodiscover, DKIM, a new MTA-STS policy id), published early so negative
 * caches (RFC 2308) have expired by the time of the swap.
 */
export interface Companions {
  changes: RRsetChange[]
  /** One clause per change, for the step's explanation. */
  why: string[]
  /** The apex TXT RRset today, and the text of its SPF records (strings joined). */
  apexTxt: RRset | null
  spfRecords: string[]
  /** The text of the SPF record the plan publishes (null: SPF unchanged). */
  mergedSpf: string | null
  /** source.spfDropAtSwap: the SPF record replaced in the swap update itself (source includes out, the target's in). */
  swapSpf: {from: string; to: string} | null
  /** MTA-STS: whether its policy must change before the swap, the TXT record to bump and the finding that says why. */
  sts: {needsUpdate: boolean; record: string | null; finding: Finding | undefined}
}

export function planCompanions(ctx: PlanContext): Companions {
  const {domain} = ctx
  const apexTxt = ctx.get(domain, 'TXT')
  const records = (apexTxt?.records ?? []) as TxtData[]
  const txtRecords = records.map(txtText)
  const out: Companions = {changes: [], why: [], apexTxt, spfRecords: txtRecords.filter(isSpfRecord), mergedSpf: null, swapSpf: null, sts: {needsUpdate: false, record: null, finding: undefined}}
  let newTxt = mergeSpf(ctx, out, records)
  newTxt = addVerification(ctx, out, txtRecords, newTxt)
  if (!sameData({type: 'TXT', records}, {type: 'TXT', records: newTxt})) {
    ctx.touch(domain, 'TXT')
    out.changes.push({name: domain, type: 'TXT', before: apexTxt ? rrsetJson(apexTxt) : null, after: {name: domain, type: 'TXT', ttl: apexTxt?.ttl ?? ctx.ttl.swap, records: newTxt}})
  }
  addAutodiscover(ctx, out)
  addDkim(ctx, out)
  bumpMtaSts(ctx, out)
  return out
}

/**
 * The apex TXT records with the target's SPF include merged into the one SPF
 * record, which keeps its split where it can (rewriteTxt); the others as served.
 */
function mergeSpf(ctx: PlanContext, out: Companions, records: TxtData[]): TxtData[] {
  const {domain, target, source} = ctx
  if (!target.spfInclude) return [...records]
  if (out.spfRecords.length > 1) {
    ctx.block('SPF_MULTIPLE', `${domain} TXT (SPF)`, `${domain} publishes ${out.spfRecords.length} SPF records, so the target's include cannot be merged into one; merge them into a single v=spf1 record, then plan again`)
    return [...records]
  }
  const drops = ctx.config.source.spfDropAtSwap ?? []
  if (drops.length > 0) {
    planSpfSwap(ctx, out, drops)
    return [...records]
  }
  const merged = spfWithInclude(out.spfRecords[0] ?? null, target.spfInclude, source.spfInclude)
  if (merged && 'error' in merged) {
    ctx.block('SPF_SYNTAX', `${domain} TXT (SPF)`, `the SPF record does not parse (${merged.error}), so include:${target.spfInclude} cannot be merged into it; fix it, then plan again`)
    return [...records]
  }
  if (!merged) return [...records]
  out.mergedSpf = merged.record
  out.why.push(merged.created ? `creates the SPF record ${JSON.stringify(merged.record)} (none today; ~all so unlisted senders soft-fail rather than bounce)` : `merges include:${target.spfInclude} into the one SPF record, so mail the target sends for ${domain} passes SPF`)
  ctx.handled.push({code: 'SPF_TARGET_INCLUDE_MISSING', step: 'publish-companions'}, {code: 'SPF_MISSING', step: 'publish-companions'})
  checkSpfCount(ctx, merged.record, 'merged SPF record')
  return merged.created ? [...records, merged.record] : records.map((r) => (txtText(r) === out.spfRecords[0] ? rewriteTxt(r, merged.record) : r))
}


/** The lookups of the SPF record the plan publishes, against the limit; past it, what each term costs and how to get under. */
function checkSpfCount(ctx: PlanContext, record: string, what: string): void {
  const {domain} = ctx
  const count = ctx.observed.spfCount
  if (!count || count.record !== record) {
    ctx.notes.push(`The DNS lookups of the ${what} were not counted; check that it stays within ${SPF_LOOKUP_LIMIT}.`)
    return
  }
  const costs = count.terms?.length ? ` What each term costs: ${count.terms.map((t) => `${t.term} ${t.lookups}`).join(', ')}.` : ''
  if (count.lookups > SPF_LOOKUP_LIMIT) {
    const includes = (count.terms ?? []).filter((t) => t.term.startsWith('include:') && t.term !== `include:${ctx.target.spfInclude}`)
    const hint = includes.length
      ? ` If the source stops sending at the swap, drop its includes in the swap update itself: source.spfDropAtSwap: [${includes.map((t) => t.term.slice('include:'.length)).join(', ')}] (keep only those the source uses).`
      : ''
    ctx.block('SPF_TOO_MANY_LOOKUPS', `${domain} TXT (SPF)`, `the ${what} ${JSON.stringify(record)} needs ${count.lookups} DNS lookups (limit ${SPF_LOOKUP_LIMIT}, RFC 7208 §4.6.4), so receivers would return permerror.${costs}${hint} Or remove includes you no longer use, or replace a/mx terms with ip4:/ip6:, then plan again.`)
  } else {
    ctx.notes.push(`The ${what} needs ${count.lookups} of at most ${SPF_LOOKUP_LIMIT} DNS lookups.${count.problems.length ? ` Not every include could be followed (${count.problems.join('; ')}), so that is a lower bound.` : ''}`)
  }
}

/**
 * source.spfDropAtSwap: today's SPF record stays until the swap, and the swap
 * update replaces it: the named source includes out, the target's in. Mail
 * the source sends passes SPF until then, the target's from then on, and the
 * record never holds both sets of includes.
 */
function planSpfSwap(ctx: PlanContext, out: Companions, drops: readonly string[]): void {
  const {domain, target} = ctx
  const current = out.spfRecords[0]
  if (!current) {
    ctx.block('SPF_MISSING', `${domain} TXT (SPF)`, `source.spfDropAtSwap names includes to drop but ${domain} publishes no SPF record; remove source.spfDropAtSwap`)
    return
  }
  let atSwap = current
  for (const drop of drops) {
    const without = spfWithoutInclude(atSwap, drop)
    if (without === null) {
      ctx.block('SPF_DROP_UNKNOWN', `${domain} TXT (SPF)`, `source.spfDropAtSwap names include:${drop}, which the SPF record ${JSON.stringify(current)} does not have; name the includes as the record writes them`)
      return
    }
    atSwap = without
  }
  const merged = target.spfInclude ? spfWithInclude(atSwap, target.spfInclude, null) : null
  if (merged && 'error' in merged) {
    ctx.block('SPF_SYNTAX', `${domain} TXT (SPF)`, `the SPF record does not parse (${merged.error}); fix it, then plan again`)
    return
  }
  out.swapSpf = {from: current, to: merged?.record ?? atSwap}
  checkSpfCount(ctx, out.swapSpf.to, 'SPF record after the swap')
}

function addVerification(ctx: PlanContext, out: Companions, txtRecords: string[], newTxt: TxtData[]): TxtData[] {
  const {target, domain} = ctx
  if (target.verification && target.verificationName && target.verificationName !== domain) {
    addVerificationElsewhere(ctx, out, target.verificationName, target.verification)
    return newTxt
  }
  if (target.verification) {
    ctx.handled.push({code: 'TARGET_VERIFICATION_MISSING', step: 'publish-companions'})
    if (txtRecords.includes(target.verification)) return newTxt
    out.why.push(`adds the domain-verification TXT ${target.verification}`)
    return [...newTxt, target.verification]
  }
  const prefix = target.verificationPrefix
  const name = target.verificationName ?? domain
  const present = name === domain ? txtRecords : txtTexts(ctx.get(name, 'TXT'))
  if (target.verificationName && !present.some((t) => !prefix || t.startsWith(prefix))) {
    ctx.notes.push(`No ${prefix ? `${prefix}… ` : ''}verification TXT is published at ${name} or configured: set target.verification to the value ${target.verificationWhere?.replaceAll('DOMAIN', domain) ?? 'the provider shows'}, or verify the domain another way before the swap.`)
  }
  return newTxt
}

/** A verification TXT at its own name (Amazon WorkMail's _amazonses): its own RRset, published with the companions. */
function addVerificationElsewhere(ctx: PlanContext, out: Companions, name: string, value: string): void {
  const current = ctx.get(name, 'TXT')
  ctx.handled.push({code: 'TARGET_VERIFICATION_MISSING', step: 'publish-companions'})
  if (txtTexts(current).includes(value)) return
  ctx.touch(name, 'TXT')
  // The records already there are carried as served (their strings untouched).
  const kept = current ? rrsetJson(current).records : []
  out.changes.push({name, type: 'TXT', before: current ? rrsetJson(current) : null, after: {name, type: 'TXT', ttl: current?.ttl ?? 3600, records: [...kept, value]}})
  out.why.push(`adds the domain-verification TXT ${value} at ${name}`)
}

function addAutodiscover(ctx: PlanContext, out: Companions): void {
  const ad = ctx.target.autodiscover
  if (!ad) return
  const cname = ctx.get(ad.name, 'CNAME')
  const other = ctx.get(ad.name, 'A') ?? ctx.get(ad.name, 'AAAA')
  if (cname && sameData(cname, {type: 'CNAME', records: [ad.value]})) return
  if (other) {
    ctx.notes.push(`${ad.name} has address records, so the CNAME to ${ad.value} cannot be added beside them; replace them when mailboxes move (Outlook finds its server there).`)
  } else if (cname) {
    ctx.notes.push(`${ad.name} is a CNAME to ${String(cname.records[0])} today: the swap step points it at ${ad.value} in the same update as the MX, so Outlook follows the mailboxes.`)
  } else {
    ctx.touch(ad.name, 'CNAME')
    out.changes.push({name: ad.name, type: 'CNAME', before: null, after: {name: ad.name, type: 'CNAME', ttl: out.apexTxt?.ttl ?? 3600, records: [ad.value]}})
    out.why.push(`creates ${ad.name} CNAME ${ad.value}`)
    ctx.handled.push({code: 'AUTODISCOVER_MISSING', step: 'publish-companions'})
  }
}

function addDkim(ctx: PlanContext, out: Companions): void {
  for (const d of ctx.target.dkim) {
    const current = ctx.get(d.name, d.type)
    // A DKIM key split into other strings is the same key (RFC 6376 §3.6.2.2): left as served.
    const same = d.type === 'TXT' ? current !== null && txtTexts(current).length === 1 && txtTexts(current)[0] === d.value : sameData(current, {type: d.type, records: [d.value]})
    if (current && same) continue
    if (current) {
      ctx.notes.push(`${d.name} ${d.type} already holds another value (${answerText({type: current.type, data: current.records[0]}).slice(0, 60)}), probably the source's key: left alone; change it after the cutover if the target signs with this selector.`)
      continue
    }
    ctx.touch(d.name, d.type)
    out.changes.push({name: d.name, type: d.type, before: null, after: {name: d.name, type: d.type, ttl: 3600, records: [d.value]}})
    out.why.push(`creates the DKIM ${d.type} ${d.name}`)
    ctx.handled.push({code: 'DKIM_TARGET_MISSING', step: 'publish-companions'})
  }
}

/** A new MTA-STS policy id (RFC 8461 §3.1: 1 to 32 letters and digits), from the plan's clock. */
export function mtaStsId(now: Date): string {
  return now.toISOString().replace(/[^0-9]/g, '').slice(0, 14)
}

/** MTA-STS (RFC 8461 §8.3): the policy body first, then a new id in the TXT; senders follow once the TXT's TTL has passed. */
function bumpMtaSts(ctx: PlanContext, out: Companions): void {
  const {observed} = ctx
  const name = `_mta-sts.${ctx.domain}`
  const mtaSts = ctx.get(name, 'TXT')
  const finding = observed.findings.find((f) => f.code === 'MTA_STS_POLICY_MX_MISMATCH' || f.code === 'MTA_STS_POLICY_UNREACHABLE')
  const needsUpdate = mtaSts !== null && (finding !== undefined || !observed.audited)
  const record = txtTexts(mtaSts).find((t) => /^v=STSv1/i.test(t)) ?? null
  out.sts = {needsUpdate, record, finding}
  if (!needsUpdate || !mtaSts || !record) return
  const id = mtaStsId(ctx.now)
  const bumped = /\bid=[^;\s]*/i.test(record) ? record.replace(/\bid=[^;\s]*/i, `id=${id}`) : `${record.replace(/;?\s*$/, '')}; id=${id}`
  ctx.touch(name, 'TXT')
  out.changes.push({name, type: 'TXT', before: rrsetJson(mtaSts), after: {...rrsetJson(mtaSts), records: (mtaSts.records as TxtData[]).map((r) => (txtText(r) === record ? rewriteTxt(r, bumped) : r))}})
  out.why.push(`gives the MTA-STS TXT a new policy id (${id}) so senders fetch the updated policy (RFC 8461 §8.3)`)
  ctx.handled.push({code: 'MTA_STS_POLICY_MX_MISMATCH', step: 'update-mta-sts-policy'}, {code: 'MTA_STS_POLICY_UNREACHABLE', step: 'update-mta-sts-policy'})
}
