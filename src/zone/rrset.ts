import type {MxData, RecordData, Rr, TxtData} from '../dns/records.js'
import {rdataText, txtText} from '../dns/records.js'
import {canonicalName} from '../dns/names.js'

export type {RecordData} from '../dns/records.js'

/** All records of one name and type, with the TTL the server gave them. */
export interface RRset {
  name: string
  type: string
  ttl: number
  records: RecordData[]
}

/** Groups the answer records of one owner and type into an RRset (TTL: the smallest, as RFC 2181 §5.2 asks). */
export function rrsetFrom(answers: readonly Rr[], name: string, type: string): RRset | null {
  const owner = canonicalName(name)
  const matching = answers.filter((a) => a.name === owner && a.type === type)
  if (matching.length === 0) return null
  return {
    name: owner,
    type,
    ttl: Math.min(...matching.map((a) => a.ttl)),
    records: matching.map((a) => a.data as RecordData),
  }
}

/**
 * Sorted presentation forms: two RRsets hold the same data when these are
 * equal. A TXT record's form quotes each character-string, so two records
 * with the same text split differently are different records, as on the wire.
 */
export function rdataKeys(set: Pick<RRset, 'type' | 'records'>): string[] {
  return set.records.map((data) => rdataText({type: set.type, data})).sort()
}

/** Same data, TTL ignored. Null means "no such RRset". */
export function sameData(a: Pick<RRset, 'type' | 'records'> | null, b: Pick<RRset, 'type' | 'records'> | null): boolean {
  if (a === null || b === null) return a === b || (a?.records.length ?? 0) + (b?.records.length ?? 0) === 0
  if (a.type !== b.type) return false
  const ka = rdataKeys(a)
  const kb = rdataKeys(b)
  return ka.length === kb.length && ka.every((k, i) => k === kb[i])
}

/** Same data and same TTL. */
export function sameRRset(a: RRset | null, b: RRset | null): boolean {
  return sameData(a, b) && (a === null || b === null || a.ttl === b.ttl)
}

/** One line per record, as a zone file would hold it. */
export function zoneLines(set: RRset): string[] {
  return rdataKeys(set).map((rdata) => `${set.name}. ${set.ttl} IN ${set.type} ${rdata}`)
}

/** What each TXT record of the set says, its strings joined (RFC 7208 §3.3); empty for another type. */
export function txtTexts(set: Pick<RRset, 'type' | 'records'> | null | undefined): string[] {
  if (!set || set.type !== 'TXT') return []
  return set.records.map((r) => txtText(r as TxtData))
}

export function mxRecords(set: RRset | null): MxData[] {
  if (!set || set.type !== 'MX') return []
  return (set.records as MxData[])
    .map((r) => ({priority: r.priority, exchange: r.exchange}))
    .sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange))
}

/** A null MX (RFC 7505): one record, priority 0, exchange ".". */
export function isNullMx(set: RRset | null): boolean {
  const mx = mxRecords(set)
  return mx.length === 1 && mx[0].exchange === '.'
}

/** Parses "10 mx1.contoso.com" as users write MX values on the command line or in config. */
export function parseMx(text: string): MxData | null {
  const m = /^\s*(\d{1,5})\s+(\S+)\s*$/.exec(text)
  if (!m) return null
  const priority = Number(m[1])
  if (priority > 65535) return null
  return {priority, exchange: m[2] === '.' ? '.' : canonicalName(m[2])}
}
