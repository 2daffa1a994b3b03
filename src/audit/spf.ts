import {canonicalName} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import {finding} from './codes.js'
import {describeStatus, isDefinite, type LookupFn} from './lookup.js'
import {effectiveRedirect, hasMacro, isSpfRecord, localLookupCount, mechanisms, mergeInclude, parseSpf, type SpfRecord} from './spf-record.js'
import type {Finding} from './types.js'

export const SPF_LOOKUP_LIMIT = 10

export interface SpfProblem {
  /** broken: a receiver would return permerror; incomplete: we could not tell. */
  kind: 'broken' | 'incomplete'
  domain: string
  message: string
}

export interface SpfCount {
  /** DNS-querying terms, counted through every include and redirect (RFC 7208 §4.6.4). */
  lookups: number
  /** Every domain reached through include/redirect, lower-case. */
  reached: Set<string>
  problems: SpfProblem[]
}

/** Where the counting stops: past the limit the exact number no longer matters. */
const DEPTH_LIMIT = 12

/** The SPF record published at a domain, as a receiver fetches it for include/redirect. */
async function fetchSpf(lookup: LookupFn, domain: string): Promise<{record: SpfRecord} | {problem: SpfProblem}> {
  const r = await lookup(domain, 'TXT')
  if (!isDefinite(r.status)) {
    return {problem: {kind: 'incomplete', domain, message: `the SPF record of ${domain} ${describeStatus(r)}`}}
  }
  const spf = r.answers.filter((a) => a.type === 'TXT' && a.name === canonicalName(domain)).map(answerText).filter(isSpfRecord)
  if (spf.length === 0) return {problem: {kind: 'broken', domain, message: `${domain} publishes no SPF record (${r.status === 'nxdomain' ? 'the name does not exist' : 'no v=spf1 TXT'}), which makes any record including it fail with permerror`}}
  if (spf.length > 1) return {problem: {kind: 'broken', domain, message: `${domain} publishes ${spf.length} SPF records, which is a permerror for every record including it`}}
  const parsed = parseSpf(spf[0])
  if (!parsed.ok) return {problem: {kind: 'broken', domain, message: `the SPF record of ${domain} does not parse (${parsed.error}), which is a permerror for every record including it`}}
  return {record: parsed.record}
}

/** Counts the record's DNS-querying terms, following include and redirect through DNS. */
export async function countLookups(lookup: LookupFn, record: SpfRecord, path: string[] = []): Promise<SpfCount> {
  const out: SpfCount = {lookups: localLookupCount(record), reached: new Set(), problems: []}
  const targets = mechanisms(record).filter((m) => m.name === 'include').map((m) => m.domain as string)
  const redirect = effectiveRedirect(record)
  if (redirect) targets.push(redirect)
  for (const raw of targets) {
    const domain = canonicalName(raw)
    out.reached.add(domain)
    if (hasMacro(raw)) continue // depends on the sender: counted once, cannot be followed.
    if (path.includes(domain)) {
      out.problems.push({kind: 'broken', domain, message: `SPF include loop: ${[...path, domain].join(' → ')}`})
      continue
    }
    if (path.length >= DEPTH_LIMIT || out.lookups > SPF_LOOKUP_LIMIT * 2) continue
    const fetched = await fetchSpf(lookup, domain)
    if ('problem' in fetched) {
      out.problems.push(fetched.problem)
      continue
    }
    const inner = await countLookups(lookup, fetched.record, [...path, domain])
    out.lookups += inner.lookups
    for (const d of inner.reached) out.reached.add(d)
    out.problems.push(...inner.problems)
  }
  return out
}

export interface SpfAuditInput {
  domain: string
  /** Apex TXT strings as the authoritative servers serve them. */
  txt: string[]
  /** The target provider's SPF include, when there is a target that has one. */
  targetInclude: string | null
  targetName?: string
  lookup: LookupFn
}

export async function auditSpf(input: SpfAuditInput): Promise<Finding[]> {
  const out: Finding[] = []
  const subject = `${input.domain} TXT (SPF)`
  const spf = input.txt.filter(isSpfRecord)
  const suggested = input.targetInclude ? `"v=spf1 include:${input.targetInclude} -all"` : `"v=spf1 mx -all"`
  if (spf.length === 0) {
    out.push(finding('SPF_MISSING', subject, `${input.domain} publishes no SPF record, so receivers cannot tell forged mail from yours; publish one TXT such as ${suggested}.`))
    return out
  }
  if (spf.length > 1) {
    out.push(finding('SPF_MULTIPLE', subject, `${input.domain} publishes ${spf.length} SPF records (${spf.map((s) => JSON.stringify(s)).join(', ')}), which is a permerror for every receiver (RFC 7208 §4.5); merge them into one record.`))
    return out
  }
  const parsed = parseSpf(spf[0])
  if (!parsed.ok) {
    out.push(finding('SPF_SYNTAX', subject, `the SPF record ${JSON.stringify(spf[0])} does not parse: ${parsed.error}; fix it, or receivers treat it as permerror.`))
    return out
  }
  const today = await countLookups(input.lookup, parsed.record)
  if (today.lookups > SPF_LOOKUP_LIMIT) {
    out.push(finding('SPF_TOO_MANY_LOOKUPS', subject, `the SPF record needs ${today.lookups} DNS lookups counted through its includes (limit ${SPF_LOOKUP_LIMIT}, RFC 7208 §4.6.4), so receivers return permerror; replace includes you no longer use, or ip4:/ip6: ranges for a/mx terms.`))
  }
  for (const p of dedupe(today.problems)) {
    out.push(p.kind === 'broken' ? finding('SPF_INCLUDE_BROKEN', `${p.domain} TXT (SPF)`, `${p.message}; remove or fix that include.`) : finding('CHECK_INCOMPLETE', `${p.domain} TXT (SPF)`, `${p.message}, so the SPF lookup count may be low; try again or check --resolver.`))
  }
  if (!input.targetInclude) return out
  const include = canonicalName(input.targetInclude)
  if (today.reached.has(include)) return out
  const merged = mergeInclude(parsed.record, include)
  out.push(finding('SPF_TARGET_INCLUDE_MISSING', subject, `the SPF record does not authorise ${input.targetName ?? 'the target provider'} (include:${include}); publish ${JSON.stringify(merged)} before the swap, so mail it sends for you passes SPF.`))
  const mergedParsed = parseSpf(merged)
  if (!mergedParsed.ok) return out
  const after = await countLookups(input.lookup, mergedParsed.record)
  const targetProblems = after.problems.filter((p) => !today.problems.some((q) => q.domain === p.domain))
  for (const p of dedupe(targetProblems)) {
    out.push(
      p.kind === 'broken'
        ? finding('SPF_INCLUDE_BROKEN', `${p.domain} TXT (SPF)`, `${p.message}, so adding include:${include} would break SPF for ${input.domain}; check the target's include (target.spfInclude in the config).`)
        : finding('CHECK_INCOMPLETE', `${p.domain} TXT (SPF)`, `${p.message}, so the lookup count after adding include:${include} is a lower bound; run the audit again.`),
    )
  }
  if (today.lookups <= SPF_LOOKUP_LIMIT && after.lookups > SPF_LOOKUP_LIMIT) {
    out.push(finding('SPF_TOO_MANY_LOOKUPS', `${input.domain} TXT (SPF with include:${include})`, `adding include:${include} brings the SPF record to ${after.lookups} DNS lookups (today ${today.lookups}, limit ${SPF_LOOKUP_LIMIT}), so receivers would return permerror; drop an include the cutover retires (often the source provider's) in the same change.`))
  }
  return out
}

function dedupe(problems: SpfProblem[]): SpfProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const k = `${p.kind} ${p.domain} ${p.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
