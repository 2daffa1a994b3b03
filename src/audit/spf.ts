import {canonicalName} from '../dns/names.js'
import {finding} from './codes.js'
import type {LookupFn} from './lookup.js'
import {ignoredTerms, isSpfRecord, mergeInclude, parseSpf, type SpfRecord} from './spf-record.js'
import {countLookups, SPF_LOOKUP_LIMIT, SPF_MX_LIMIT, SPF_VOID_LIMIT, type SpfCount, type SpfProblem} from './spf-walk.js'
import type {Finding} from './types.js'

export {countLookups, SPF_LOOKUP_LIMIT, type SpfCount, type SpfProblem} from './spf-walk.js'

export interface SpfAuditInput {
  domain: string
  /** Apex TXT texts (each record's strings joined) as the authoritative servers serve them. */
  txt: string[]
  /** Set when the apex TXT question failed: what happened, naming the name and the server. */
  txtFailure?: string
  /** The target provider's SPF include, when there is a target that has one. */
  targetInclude: string | null
  targetName?: string
  lookup: LookupFn
}

export async function auditSpf(input: SpfAuditInput): Promise<Finding[]> {
  const subject = `${input.domain} TXT (SPF)`
  if (input.txtFailure) {
    return [finding('CHECK_INCOMPLETE', subject, `${input.txtFailure}, so the SPF record (and any verification TXT) could not be read: a failed lookup is not a missing record; run the audit again.`)]
  }
  const spf = input.txt.filter(isSpfRecord)
  const suggested = input.targetInclude ? `"v=spf1 include:${input.targetInclude} -all"` : `"v=spf1 mx -all"`
  if (spf.length === 0) {
    return [finding('SPF_MISSING', subject, `${input.domain} publishes no SPF record, so receivers cannot tell forged mail from yours; publish one TXT such as ${suggested}.`)]
  }
  if (spf.length > 1) {
    return [finding('SPF_MULTIPLE', subject, `${input.domain} publishes ${spf.length} SPF records (${spf.map((s) => JSON.stringify(s)).join(', ')}), which is a permerror for every receiver (RFC 7208 §4.5); merge them into one record.`)]
  }
  const parsed = parseSpf(spf[0])
  if (!parsed.ok) {
    return [finding('SPF_SYNTAX', subject, `the SPF record ${JSON.stringify(spf[0])} does not parse: ${parsed.error}; fix it, or receivers treat it as permerror.`)]
  }
  const out: Finding[] = []
  const ignored = ignoredTerms(parsed.record)
  if (ignored.length > 0) {
    out.push(finding('SPF_TERMS_AFTER_ALL', subject, `receivers never evaluate ${ignored.map((t) => `"${t}"`).join(', ')} (terms after "all" are ignored, RFC 7208 §5.1, and so is redirect= beside "all", §6.1), so they authorise no one and are not counted; move them before "all" if they are meant, or remove them.`))
  }
  const today = await countLookups(input.lookup, parsed.record, input.domain, [input.domain])
  out.push(...limitFindings(subject, today))
  for (const p of dedupe(today.problems)) {
    out.push(p.kind === 'broken' ? finding('SPF_INCLUDE_BROKEN', `${p.domain} TXT (SPF)`, `${p.message}; remove or fix that include.`) : finding('CHECK_INCOMPLETE', `${p.domain} TXT (SPF)`, `${p.message}, so the SPF lookup count may be low; try again or check --resolver.`))
  }
  if (input.targetInclude) out.push(...(await targetFindings(input, parsed.record, today)))
  return out
}

/** The limits of RFC 7208 §4.6.4 as the walk found them: DNS-querying terms, void lookups, MX names per mx term. */
function limitFindings(subject: string, count: SpfCount): Finding[] {
  const out: Finding[] = []
  if (count.lookups > SPF_LOOKUP_LIMIT) {
    out.push(finding('SPF_TOO_MANY_LOOKUPS', subject, `the SPF record needs ${count.lookups} DNS lookups counted through its includes (limit ${SPF_LOOKUP_LIMIT}, RFC 7208 §4.6.4), so receivers return permerror; replace includes you no longer use, or ip4:/ip6: ranges for a/mx terms.`))
  }
  for (const m of count.mxOver) {
    out.push(finding('SPF_TOO_MANY_LOOKUPS', `${m.domain} TXT (SPF) ${m.term}`, `the "${m.term}" term of ${m.domain} finds ${m.names} MX records at ${m.name} (limit ${SPF_MX_LIMIT} per mx term, RFC 7208 §4.6.4), so receivers return permerror when they reach it; list those servers with ip4:/ip6: instead.`))
  }
  const voids = [...count.voids].sort((a, b) => a.domain.localeCompare(b.domain) || a.name.localeCompare(b.name))
  const listed = (qs: typeof voids) => qs.map((v) => `${v.name} (${v.term} in ${v.domain}: ${v.detail})`).join('; ')
  if (voids.length > SPF_VOID_LIMIT) {
    out.push(finding('SPF_VOID_LOOKUPS', subject, `evaluating the SPF record makes ${voids.length} lookups that find nothing (limit ${SPF_VOID_LIMIT}, RFC 7208 §4.6.4), so receivers return permerror for senders that reach them: ${listed(voids)}; remove the terms that name hosts that no longer exist.`))
  }
  if (count.unknown.length > 0) {
    const voidNote = voids.length <= SPF_VOID_LIMIT && voids.length + count.unknown.length > SPF_VOID_LIMIT ? `, and whether it exceeds ${SPF_VOID_LIMIT} void lookups (${voids.length} known) cannot be told` : ''
    out.push(finding('CHECK_INCOMPLETE', subject, `lookups the SPF record makes failed: ${listed(count.unknown)}; receivers whose lookups fail the same way return temperror for senders that reach those terms${voidNote}; run the audit again.`))
  }
  return out
}

/** Whether the target is authorised, and what merging its include would do to the record. */
async function targetFindings(input: SpfAuditInput, record: SpfRecord, today: SpfCount): Promise<Finding[]> {
  const out: Finding[] = []
  const subject = `${input.domain} TXT (SPF)`
  const include = canonicalName(input.targetInclude as string)
  if (today.reached.has(include)) return out
  const merged = mergeInclude(record, include)
  out.push(finding('SPF_TARGET_INCLUDE_MISSING', subject, `the SPF record does not authorise ${input.targetName ?? 'the target provider'} (include:${include}); publish ${JSON.stringify(merged)} before the swap, so mail it sends for you passes SPF.`))
  const mergedParsed = parseSpf(merged)
  if (!mergedParsed.ok) return out
  const after = await countLookups(input.lookup, mergedParsed.record, input.domain, [input.domain])
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
