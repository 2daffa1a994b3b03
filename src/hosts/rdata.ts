import {canonicalName} from '../dns/names.js'
import {parseTxtPresentation, txtPresentation, type MxData, type SoaData, type TlsaData, type TxtData} from '../dns/records.js'
import type {RecordData, RRset} from '../zone/rrset.js'
import {rdataKeys, sameData} from '../zone/rrset.js'
import {DnsHostError, type DnsHost, type RecordChange} from './types.js'

/**
 * Record data in presentation form (zone-file text), the form PowerDNS and
 * Route 53 exchange, and back.
 */

function fqdn(name: string): string {
  return name === '.' ? '.' : canonicalName(name) + '.'
}

/** Presentation form of one record's data. */
export function toText(type: string, data: RecordData): string {
  switch (type) {
    case 'MX': {
      const mx = data as MxData
      return `${mx.priority} ${fqdn(mx.exchange)}`
    }
    case 'TXT':
      return txtPresentation(data as TxtData)
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return fqdn(data as string)
    case 'A':
    case 'AAAA':
      return data as string
    case 'SOA': {
      const d = data as SoaData
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`
    }
    case 'TLSA': {
      const d = data as TlsaData
      return `${d.usage} ${d.selector} ${d.matchingType} ${d.certificate}`
    }
    default:
      if (typeof data === 'string') return data
      throw new DnsHostError('not-supported', `record type ${type} is not supported by mxcut's DNS hosts yet`)
  }
}

/** Parses presentation text back into the form mxcut compares (names canonical, TXT strings kept). */
export function fromText(type: string, text: string): RecordData {
  const t = text.trim()
  switch (type) {
    case 'MX': {
      const m = /^(\d+)\s+(\S+)$/.exec(t)
      if (!m) throw new DnsHostError('rejected', `cannot read MX record data '${t}'`)
      return {priority: Number(m[1]), exchange: m[2] === '.' ? '.' : canonicalName(m[2])}
    }
    case 'TXT':
      return parseTxtPresentation(t)
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return canonicalName(t)
    case 'A':
    case 'AAAA':
      return t.toLowerCase()
    case 'SOA': {
      const f = t.split(/\s+/)
      return {mname: canonicalName(f[0]), rname: canonicalName(f[1]), serial: Number(f[2]), refresh: Number(f[3]), retry: Number(f[4]), expire: Number(f[5]), minimum: Number(f[6])}
    }
    case 'TLSA': {
      const f = t.split(/\s+/)
      return {usage: Number(f[0]), selector: Number(f[1]), matchingType: Number(f[2]), certificate: f.slice(3).join('').toLowerCase()}
    }
    default:
      return t
  }
}

/** The RRset a change leaves behind (null after a delete). */
export function targetOf(change: RecordChange): RRset | null {
  if (change.action === 'delete' || change.records.length === 0) return null
  return {name: canonicalName(change.name), type: change.type, ttl: change.ttl, records: change.records}
}

/** Same data, and the same TTL when both exist. */
export function matchesTarget(live: RRset | null, change: RecordChange): boolean {
  const target = targetOf(change)
  const present = live !== null && live.records.length > 0 ? live : null
  if (target === null || present === null) return target === null && present === null
  return sameData(present, target) && present.ttl === target.ttl
}

function describeSet(set: Pick<RRset, 'type' | 'records'> | null): string {
  if (set === null || set.records.length === 0) return 'nothing'
  return rdataKeys(set).join(', ')
}

/**
 * For hosts without server-side prerequisites: reads each RRset a change
 * names and refuses when it no longer holds what the plan read. This narrows
 * the race window to one round trip; it cannot close it.
 */
export async function checkExpectations(host: Pick<DnsHost, 'read'>, changes: readonly RecordChange[]): Promise<void> {
  for (const change of changes) {
    if (change.expect === undefined) continue
    const live = await host.read(change.name, change.type)
    const expected = change.expect === null ? null : {type: change.type, records: change.expect.records}
    if (!sameData(live, expected)) {
      // Already in the wanted state (a repeated or resumed apply) is not a conflict.
      if (matchesTarget(live, change)) continue
      throw conflictError(change, expected, live)
    }
  }
}

export function conflictError(change: RecordChange, expected: Pick<RRset, 'type' | 'records'> | null, live: RRset | null): DnsHostError {
  return new DnsHostError(
    'conflict',
    `${canonicalName(change.name)} ${change.type} changed since it was read: expected ${describeSet(expected)}, found ${describeSet(live)}; re-run the plan against live DNS`,
  )
}

/**
 * After a host refused a conditional change: finds the change whose RRset is
 * neither what the plan read nor already the wanted result. Null when every
 * change already landed (a retried or resumed apply), which is success.
 * `ttlMatters`: the host's condition includes the TTL (Route 53's DELETE).
 */
export async function findConflict(
  host: Pick<DnsHost, 'read'>,
  changes: readonly RecordChange[],
  why: string,
  ttlMatters = false,
): Promise<DnsHostError | null> {
  let culprit: {change: RecordChange; live: RRset | null} | null = null
  let allLanded = true
  for (const change of changes) {
    const live = await host.read(change.name, change.type)
    if (matchesTarget(live, change)) continue
    allLanded = false
    const expected = change.expect === undefined || change.expect === null ? null : {type: change.type, records: change.expect.records}
    const asRead = change.expect === undefined || (sameData(live, expected) && (!ttlMatters || live === null || live.ttl === change.expect?.ttl))
    if (!asRead) {
      culprit = {change, live}
      break
    }
  }
  if (allLanded) return null
  if (!culprit) return new DnsHostError('conflict', `the zone changed while the update was sent (${why}); re-run the plan against live DNS`)
  const {change, live} = culprit
  const expected = change.expect ? {type: change.type, records: change.expect.records} : null
  let err = conflictError(change, expected, live)
  if (ttlMatters && live && change.expect && sameData(live, expected)) {
    err = new DnsHostError('conflict', `${canonicalName(change.name)} ${change.type} TTL changed since it was read: expected ${change.expect.ttl}, found ${live.ttl}; re-run the plan against live DNS`)
  }
  return new DnsHostError('conflict', `${err.message} (${why})`)
}
