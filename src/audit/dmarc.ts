import {canonicalName} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import {finding} from './codes.js'
import type {LookupFn} from './lookup.js'
import type {Finding} from './types.js'

/** DMARC policy records (RFC 7489 §6.3, §6.4). */
export interface DmarcRecord {
  tags: Record<string, string>
  p: 'none' | 'quarantine' | 'reject'
}

export type DmarcParse = {ok: true; record: DmarcRecord} | {ok: false; error: string}

export function isDmarcRecord(txt: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/.test(txt)
}

const POLICIES = ['none', 'quarantine', 'reject']
const URI_LIST = /^[a-z][a-z0-9+.-]*:[^,!\s]+(?:![0-9]+[kmgt]?)?$/i

function checkUris(tag: string, value: string): string | null {
  for (const uri of value.split(',').map((u) => u.trim())) {
    if (!URI_LIST.test(uri)) return `${tag}= holds '${uri}', which is not a URI such as mailto:dmarc@example.com`
  }
  return null
}

const CHECKS: Record<string, (v: string) => string | null> = {
  p: (v) => (POLICIES.includes(v.toLowerCase()) ? null : `p=${v} must be none, quarantine or reject`),
  sp: (v) => (POLICIES.includes(v.toLowerCase()) ? null : `sp=${v} must be none, quarantine or reject`),
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
 * Parses one DMARC TXT. "v=DMARC1" must come first and p= must be present;
 * unknown tags are ignored as §6.3 asks, known tags are checked.
 */
export function parseDmarc(text: string): DmarcParse {
  if (!isDmarcRecord(text)) return {ok: false, error: 'does not start with "v=DMARC1"'}
  const tags: Record<string, string> = {}
  const parts = text.split(';').map((p) => p.trim())
  for (const part of parts) {
    if (part === '') continue
    const m = /^([a-z][a-z0-9_]*)\s*=\s*(.*)$/i.exec(part)
    if (!m) return {ok: false, error: `'${part}' is not a tag=value pair`}
    const tag = m[1].toLowerCase()
    if (tag in tags) return {ok: false, error: `tag '${tag}' appears twice`}
    tags[tag] = m[2].trim()
  }
  if (tags.v !== 'DMARC1') return {ok: false, error: 'v= must be exactly DMARC1'}
  if (tags.p === undefined) return {ok: false, error: 'p= (the policy) is missing'}
  for (const [tag, value] of Object.entries(tags)) {
    const check = CHECKS[tag]
    const err = check ? check(value) : null
    if (err) return {ok: false, error: err}
  }
  return {ok: true, record: {tags, p: tags.p.toLowerCase() as DmarcRecord['p']}}
}

export function auditDmarc(domain: string, txt: string[], status: string): Finding[] {
  const subject = `_dmarc.${domain} TXT`
  const records = txt.filter(isDmarcRecord)
  if (records.length === 0) {
    // Strings at _dmarc that are not DMARC at all are discarded by receivers (§6.6.3).
    const other = txt.length > 0 ? ` (it holds ${txt.map((t) => JSON.stringify(t)).join(', ')}, which is not a DMARC record)` : ''
    if (status !== 'ok' && status !== 'nodata' && status !== 'nxdomain' && txt.length === 0) {
      return [finding('CHECK_INCOMPLETE', subject, `the DMARC record could not be read (${status}); run the audit again.`)]
    }
    return [finding('DMARC_MISSING', subject, `${domain} publishes no DMARC policy${other}; publish "v=DMARC1; p=none; rua=mailto:…" to see who sends as you before and after the cutover.`)]
  }
  if (records.length > 1) {
    return [finding('DMARC_SYNTAX', subject, `${domain} publishes ${records.length} DMARC records, so receivers apply none of them (RFC 7489 §6.6.3); keep exactly one.`)]
  }
  const parsed = parseDmarc(records[0])
  if (!parsed.ok) return [finding('DMARC_SYNTAX', subject, `the DMARC record ${JSON.stringify(records[0])} does not parse: ${parsed.error}; fix it, or receivers ignore it.`)]
  return []
}

async function dmarcTxt(lookup: LookupFn, domain: string): Promise<{txt: string[]; status: string}> {
  const name = `_dmarc.${canonicalName(domain)}`
  const r = await lookup(name, 'TXT')
  return {txt: r.answers.filter((a) => a.type === 'TXT' && a.name === name).map(answerText), status: r.status}
}

/**
 * The domain's own _dmarc record; for a name below the zone apex without
 * one, receivers apply the organizational domain's policy (RFC 7489 §6.6.3),
 * which the zone apex stands for here (no public suffix list is consulted).
 */
export async function auditDmarcAt(domain: string, zone: string, lookup: LookupFn): Promise<Finding[]> {
  const own = await dmarcTxt(lookup, domain)
  const findings = auditDmarc(domain, own.txt, own.status)
  if (findings.some((f) => f.code === 'DMARC_MISSING') && canonicalName(domain) !== canonicalName(zone)) {
    const parent = await dmarcTxt(lookup, zone)
    const records = parent.txt.filter(isDmarcRecord)
    if (records.length === 1 && parseDmarc(records[0]).ok) return []
  }
  return findings
}
