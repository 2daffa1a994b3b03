import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {parseAllDocuments} from 'yaml'
import {canonicalName} from '../../src/dns/names.js'
import type {Lookup, LookupFn} from '../../src/audit/lookup.js'
import type {Rr, TxtData} from '../../src/dns/records.js'
import type {Finding} from '../../src/audit/types.js'

/**
 * The openspf.org RFC 7208 test suite (test/audit/vectors), read as data:
 * scenarios of zone data and cases (an identity, a sender address, the
 * expected result). Shared by the unit test (zone data served by an
 * in-process lookup) and the lab test (zone data served by BIND).
 */

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror'

/** One record of the zone data, or TIMEOUT: questions it covers time out. */
export type ZoneEntry = {type: string; value: string | TxtData | [number, string]} | 'TIMEOUT'

export interface SuiteCase {
  id: string
  scenario: string
  /** The domain whose SPF record is checked: the MAIL FROM domain, or the HELO name when MAIL FROM is empty. */
  domain: string
  results: SpfResult[]
  spec: string
  description: string
}

export interface Scenario {
  description: string
  zone: Map<string, ZoneEntry[]>
  cases: SuiteCase[]
}

const file = fileURLToPath(new URL('./vectors/rfc7208-tests.yml', import.meta.url))

/**
 * As the suite's drivers do (pyspf's testspf.py getrdata): a name's SPF-type
 * records are served as TXT when it has no TXT record of its own; "TXT: NONE"
 * means no TXT at all. Type SPF itself is gone from RFC 7208.
 */
function entries(raw: unknown[]): ZoneEntry[] {
  const out: ZoneEntry[] = []
  const spf: ZoneEntry[] = []
  let hasTxt = false
  for (const item of raw) {
    if (item === 'TIMEOUT') {
      out.push('TIMEOUT')
      continue
    }
    for (const [type, value] of Object.entries(item as Record<string, unknown>)) {
      const text = type === 'TXT' || type === 'SPF' ? (Array.isArray(value) ? (value as string[]) : [String(value)]) : null
      if (type === 'TXT') hasTxt = true
      if (text && text.length === 1 && text[0] === 'NONE') continue
      const entry: ZoneEntry = text ? {type, value: text} : {type, value: value as string | [number, string]}
      if (type === 'SPF') spf.push({type: 'TXT', value: entry.value})
      else out.push(entry)
    }
  }
  return hasTxt ? out : [...spf, ...out]
}

export function loadSuite(): Scenario[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    const data = doc.toJS() as {description: string; tests: Record<string, Record<string, unknown>>; zonedata: Record<string, unknown[]>}
    const zone = new Map(Object.entries(data.zonedata ?? {}).map(([name, raw]) => [canonicalName(name), entries(raw)]))
    const cases = Object.entries(data.tests).map(([id, t]): SuiteCase => {
      const mailfrom = String(t.mailfrom ?? '')
      const result = t.result as SpfResult | SpfResult[]
      return {
        id,
        scenario: data.description,
        domain: mailfrom === '' ? String(t.helo) : mailfrom.slice(mailfrom.lastIndexOf('@') + 1),
        results: Array.isArray(result) ? result : [result],
        spec: String(t.spec ?? ''),
        description: String(t.description ?? '').trim(),
      }
    })
    return {description: data.description, zone, cases}
  })
}

function toRr(name: string, e: Exclude<ZoneEntry, 'TIMEOUT'>): Rr {
  switch (e.type) {
    case 'MX': {
      const [priority, exchange] = e.value as [number, string]
      return {name, type: 'MX', ttl: 60, data: {priority, exchange: canonicalName(exchange)}}
    }
    case 'TXT':
      return {name, type: 'TXT', ttl: 60, data: e.value as string[]}
    case 'CNAME':
    case 'PTR':
      return {name, type: e.type, ttl: 60, data: canonicalName(String(e.value))}
    default:
      return {name, type: e.type, ttl: 60, data: String(e.value).toLowerCase()}
  }
}

/**
 * The zone data as a lookup, with pyspf's semantics: a TIMEOUT entry times
 * out questions for which no record came before it; a name not in the data
 * does not exist (names under "error." time out); a CNAME is answered with
 * its target's records one level deep, as the suite's driver does.
 */
export function suiteLookup(zone: Map<string, ZoneEntry[]>): LookupFn {
  const answer = (name: string, type: string, depth: number): Pick<Lookup, 'status' | 'answers'> => {
    const list = zone.get(name)
    if (!list) return {status: name.startsWith('error.') ? 'timeout' : 'nxdomain', answers: []}
    const answers: Rr[] = []
    let seenType = false
    for (const e of list) {
      if (e === 'TIMEOUT') {
        if (!seenType) return {status: 'timeout', answers: []}
        break
      }
      if (e.type !== type && e.type !== 'CNAME') continue
      seenType = seenType || e.type === type
      const rr = toRr(name, e)
      answers.push(rr)
      if (e.type === 'CNAME' && depth === 0) answers.push(...answer(String(rr.data), type, 1).answers)
    }
    return {status: answers.length > 0 ? 'ok' : 'nodata', answers}
  }
  return async (raw, type) => {
    const name = canonicalName(raw)
    return {name, type, from: 'the suite zone data', ...answer(name, type, 0)}
  }
}

const PERMERROR_CODES = new Set(['SPF_SYNTAX', 'SPF_MULTIPLE', 'SPF_TOO_MANY_LOOKUPS', 'SPF_INCLUDE_BROKEN', 'SPF_VOID_LOOKUPS'])

/**
 * What mxcut's findings say a receiver returns: none (no record), permerror
 * (an error-severity SPF finding), temperror (a lookup that failed), or a
 * result that depends on the sender's address ("evaluates": pass, fail,
 * softfail or neutral, which mxcut does not compute).
 */
export type Verdict = 'none' | 'permerror' | 'temperror' | 'evaluates'

export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.code === 'SPF_MISSING')) return 'none'
  if (findings.some((f) => PERMERROR_CODES.has(f.code))) return 'permerror'
  if (findings.some((f) => f.code === 'CHECK_INCOMPLETE')) return 'temperror'
  return 'evaluates'
}

export function expectedVerdicts(c: SuiteCase): Verdict[] {
  return [...new Set(c.results.map((r): Verdict => (r === 'none' || r === 'permerror' || r === 'temperror' ? r : 'evaluates')))]
}
