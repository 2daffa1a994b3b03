import {canonicalName, isInZone} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import {finding} from './codes.js'
import {describeChain, describeStatus, followCname, isDefinite, type Followed, type LookupFn} from './lookup.js'
import type {Finding} from './types.js'

/** DMARC policy records (RFC 7489 §6.3, §6.4). */
export interface DmarcRecord {
  tags: Record<string, string>
  p: 'none' | 'quarantine' | 'reject'
  /** Tags receivers ignore because their value is invalid (§6.3): the record still applies without them. */
  ignored: string[]
}

export type DmarcParse = {ok: true; record: DmarcRecord} | {ok: false; error: string}

/** "v=DMARC1" first: the tag name is case-insensitive, its value is not (§6.4 ABNF). */
export function isDmarcRecord(txt: string): boolean {
  return /^[vV]\s*=\s*DMARC1\s*(;|$)/.test(txt)
}

/** A record that means to be DMARC but that receivers discard for its version ("v=dmarc1"). */
function looksLikeDmarc(txt: string): boolean {
  return /^v\s*=\s*dmarc1\s*(;|$)/i.test(txt)
}

const POLICIES = ['none', 'quarantine', 'reject']
const URI = /^[a-z][a-z0-9+.-]*:[^,!\s]+(?:![0-9]+[kmgt]?)?$/i

function checkUris(tag: string, value: string): string | null {
  if (value.trim() === '') return `${tag}= is empty`
  for (const uri of value.split(',').map((u) => u.trim())) {
    if (!URI.test(uri)) return `${tag}= holds '${uri}', which is not a URI such as mailto:dmarc@example.com`
    if (!/^mailto:/i.test(uri)) return `${tag}= holds '${uri}': receivers send reports only to mailto: addresses`
  }
  return null
}

/** Checks of the optional tags: an invalid value is ignored by receivers (§6.3), so a warning. */
const OPTIONAL: Record<string, (v: string) => string | null> = {
  np: (v) => (POLICIES.includes(v.toLowerCase()) ? null : `np=${v} must be none, quarantine or reject`),
  adkim: (v) => (/^[rs]$/i.test(v) ? null : `adkim=${v} must be r or s`),
  aspf: (v) => (/^[rs]$/i.test(v) ? null : `aspf=${v} must be r or s`),
  pct: (v) => (/^\d{1,3}$/.test(v) && Number(v) <= 100 ? null : `pct=${v} must be 0 to 100`),
  ri: (v) => (/^\d{1,10}$/.test(v) ? null : `ri=${v} must be a number of seconds`),
  fo: (v) => (v.split(':').every((x) => /^[01ds]$/i.test(x.trim())) ? null : `fo=${v} must be 0, 1, d or s, separated by ':'`),
  rf: (v) => (v.split(':').every((x) => /^[a-z0-9-]+$/i.test(x.trim())) ? null : `rf=${v} must name report formats such as afrf`),
  rua: (v) => checkUris('rua', v),
  ruf: (v) => checkUris('ruf', v),
}

/**
 * Parses one DMARC TXT. A record without a valid p= (or with an invalid sp=)
 * is not applied as written (§6.6.3: receivers discard it, or apply p=none
 * when rua= is valid), so it does not parse. Other invalid tags are ignored
 * by receivers (§6.3) and listed in `ignored`; unknown tags are ignored too.
 * Tag names are case-insensitive, like the ABNF's strings.
 */
export function parseDmarc(text: string): DmarcParse {
  if (!isDmarcRecord(text)) return {ok: false, error: looksLikeDmarc(text) ? 'the version must be written "DMARC1", in capitals (RFC 7489 §6.4)' : 'does not start with "v=DMARC1"'}
  const tags: Record<string, string> = {}
  const ignored: string[] = []
  for (const part of text.split(';').map((p) => p.trim())) {
    if (part === '') continue
    const m = /^([a-z][a-z0-9_]*)\s*=\s*(.*)$/i.exec(part)
    if (!m) {
      ignored.push(`'${part}' is not a tag=value pair`)
      continue
    }
    const tag = m[1].toLowerCase()
    if (tag in tags) {
      if (tag === 'p') return {ok: false, error: "p= appears twice, so receivers cannot tell which policy applies"}
      ignored.push(`tag '${tag}' appears twice`)
      continue
    }
    tags[tag] = m[2].trim()
  }
  if (tags.p === undefined) return {ok: false, error: 'p= (the policy) is missing'}
  if (!POLICIES.includes(tags.p.toLowerCase())) return {ok: false, error: `p=${tags.p} must be none, quarantine or reject`}
  if (tags.sp !== undefined && !POLICIES.includes(tags.sp.toLowerCase())) return {ok: false, error: `sp=${tags.sp} must be none, quarantine or reject`}
  for (const [tag, value] of Object.entries(tags)) {
    const err = OPTIONAL[tag]?.(value)
    if (err) ignored.push(err)
  }
  return {ok: true, record: {tags, p: tags.p.toLowerCase() as DmarcRecord['p'], ignored}}
}

/** Findings for the TXT texts found at _dmarc.DOMAIN (through any CNAME), or for the lookup that failed. */
export function auditDmarc(domain: string, found: Pick<Followed, 'status' | 'from' | 'error' | 'broken' | 'chain'>, txt: string[]): Finding[] {
  const subject = `_dmarc.${domain} TXT`
  const name = describeChain(found)
  if (found.broken) {
    return [finding('DMARC_MISSING', subject, `${name} ${describeStatus(found)}, so receivers find no DMARC policy; point the CNAME at the DMARC record itself.`)]
  }
  const records = txt.filter(isDmarcRecord)
  if (records.length === 0) {
    if (!isDefinite(found.status)) {
      return [finding('CHECK_INCOMPLETE', subject, `the DMARC record ${name} ${describeStatus(found)}: a failed lookup is not a missing record; run the audit again.`)]
    }
    const near = txt.find(looksLikeDmarc)
    if (near) return [finding('DMARC_SYNTAX', subject, `the DMARC record ${JSON.stringify(near)} at ${name} writes its version in lower case, which receivers discard (RFC 7489 §6.4); write "v=DMARC1".`)]
    // Strings at _dmarc that are not DMARC at all are discarded by receivers (§6.6.3).
    const other = txt.length > 0 ? ` (${name} holds ${txt.map((t) => JSON.stringify(t)).join(', ')}, which is not a DMARC record)` : ''
    return [finding('DMARC_MISSING', subject, `${domain} publishes no DMARC policy${other}; publish "v=DMARC1; p=none; rua=mailto:…" to see who sends as you before and after the cutover.`)]
  }
  if (records.length > 1) {
    return [finding('DMARC_SYNTAX', subject, `${domain} publishes ${records.length} DMARC records at ${name}, so receivers apply none of them (RFC 7489 §6.6.3); keep exactly one.`)]
  }
  const parsed = parseDmarc(records[0])
  if (!parsed.ok) return [finding('DMARC_SYNTAX', subject, `the DMARC record ${JSON.stringify(records[0])} at ${name} is not applied as written: ${parsed.error}; fix it, or receivers discard it (or apply p=none).`)]
  if (parsed.record.ignored.length === 0) return []
  return [finding('DMARC_TAG_INVALID', subject, `receivers ignore part of the DMARC record ${JSON.stringify(records[0])} at ${name} (RFC 7489 §6.3) and apply the rest: ${parsed.record.ignored.join('; ')}; fix those tags.`)]
}

interface DmarcAt {
  /** The domain the policy was read from (what the report authorisation names). */
  domain: string
  found: Followed
  txt: string[]
}

async function dmarcAt(lookup: LookupFn, domain: string): Promise<DmarcAt> {
  const found = await followCname(lookup, `_dmarc.${canonicalName(domain)}`, 'TXT')
  return {domain: canonicalName(domain), found, txt: found.records.map(answerText)}
}

/**
 * The domain's own _dmarc record; for a name below the zone apex without
 * one, receivers apply the organizational domain's policy (RFC 7489 §6.6.3),
 * which the zone apex stands for here (no public suffix list is consulted).
 * CNAMEs are followed, as receivers' resolvers do (hosted DMARC services).
 */
export async function auditDmarcAt(domain: string, zone: string, lookup: LookupFn): Promise<Finding[]> {
  let applied = await dmarcAt(lookup, domain)
  const findings = auditDmarc(domain, applied.found, applied.txt)
  if (findings.some((f) => f.code === 'DMARC_MISSING') && canonicalName(domain) !== canonicalName(zone)) {
    const parent = await dmarcAt(lookup, zone)
    const records = parent.txt.filter(isDmarcRecord)
    if (records.length !== 1 || !parseDmarc(records[0]).ok) return findings
    applied = parent
    findings.length = 0
  }
  const records = applied.txt.filter(isDmarcRecord)
  const parsed = records.length === 1 ? parseDmarc(records[0]) : null
  if (!parsed?.ok) return findings
  return [...findings, ...(await auditReportAuthorization(applied.domain, zone, parsed.record, lookup))]
}

/** The host of each mailto: report URI in rua= and ruf= ("mailto:d@example.com!10m" → example.com). */
export function reportDomains(record: DmarcRecord): Array<{tag: 'rua' | 'ruf'; uri: string; host: string}> {
  const out: Array<{tag: 'rua' | 'ruf'; uri: string; host: string}> = []
  for (const tag of ['rua', 'ruf'] as const) {
    for (const uri of (record.tags[tag] ?? '').split(',').map((u) => u.trim())) {
      const m = /^mailto:[^@!]*@([^!?\s]+)/i.exec(uri)
      if (m) out.push({tag, uri, host: canonicalName(m[1])})
    }
  }
  return out
}

/**
 * RFC 7489 §7.1: reports go to an address in another organization only if
 * that organization publishes "<policy domain>._report._dmarc.<its host>"
 * TXT "v=DMARC1". The organization is approximated by the zone: a host in the
 * zone, or one the zone lies under, is the same organization.
 */
async function auditReportAuthorization(policyDomain: string, zone: string, record: DmarcRecord, lookup: LookupFn): Promise<Finding[]> {
  const external = reportDomains(record).filter((r) => !isInZone(r.host, zone) && !(isInZone(zone, r.host) && r.host.includes('.')))
  const hosts = [...new Set(external.map((r) => r.host))]
  const out: Finding[] = []
  for (const host of hosts) {
    const name = `${policyDomain}._report._dmarc.${host}`
    const uris = external.filter((r) => r.host === host).map((r) => `${r.tag}=${r.uri}`)
    const r = await followCname(lookup, name, 'TXT')
    if (!r.broken && !isDefinite(r.status)) {
      out.push(finding('CHECK_INCOMPLETE', `${name} TXT`, `the DMARC report authorisation ${name} ${describeStatus(r)}, so whether ${host} accepts reports for ${policyDomain} cannot be told; run the audit again.`))
      continue
    }
    if (r.records.map(answerText).some((t) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(t))) continue
    out.push(finding('DMARC_RUA_UNAUTHORIZED', `${name} TXT`, `${uris.join(' and ')} sends DMARC reports to ${host}, another domain, which does not publish ${name} TXT "v=DMARC1" (RFC 7489 §7.1), so receivers send it no reports; ask its owner to publish that record (or a *._report._dmarc.${host} wildcard), or report to an address in ${zone}.`))
  }
  return out
}
