import type {Answer} from 'dns-packet'
import {canonicalName, isInZone} from '../dns/names.js'
import {copyRecordData, txtStrings, type MxData, type SoaData, type TlsaData, type TxtData} from '../dns/records.js'
import {rdataKeys, sameData, type RecordData, type RRset} from '../zone/rrset.js'

/**
 * A zone held in memory by a sandbox authoritative server: its SOA and its
 * RRsets keyed by owner and type. Plain data so a secondary can take a copy
 * the way a zone transfer would.
 */
export interface Zone {
  apex: string
  soa: {ttl: number; data: SoaData}
  /** Key: `${owner} ${type}`. The SOA lives in `soa`, not here. */
  rrsets: Map<string, RRset>
}

/** Like isInZone, with the root zone '.' holding every name (the sandbox's stand-in for the rest of the Internet). */
export function inZone(name: string, apex: string): boolean {
  return canonicalName(apex) === '.' || isInZone(name, apex)
}

export function rrsetKey(name: string, type: string): string {
  return `${canonicalName(name)} ${type.toUpperCase()}`
}

export function createZone(apex: string, soa: {ttl: number; data: SoaData}, rrsets: readonly RRset[] = []): Zone {
  const zone: Zone = {apex: canonicalName(apex), soa: {ttl: soa.ttl, data: {...soa.data}}, rrsets: new Map()}
  for (const set of rrsets) {
    if (set.type === 'SOA') continue
    if (!inZone(set.name, zone.apex)) throw new Error(`${set.name} is not in zone ${zone.apex}`)
    if (set.records.length === 0) continue
    zone.rrsets.set(rrsetKey(set.name, set.type), copyRRset(set))
  }
  return zone
}

export function copyRRset(set: RRset): RRset {
  return {
    name: canonicalName(set.name),
    type: set.type.toUpperCase(),
    ttl: set.ttl,
    records: set.records.map(copyRecordData),
  }
}

export function cloneZone(zone: Zone): Zone {
  return createZone(zone.apex, zone.soa, [...zone.rrsets.values()])
}

export function getRRset(zone: Zone, name: string, type: string): RRset | null {
  const n = canonicalName(name)
  if (type.toUpperCase() === 'SOA') {
    return n === zone.apex ? {name: n, type: 'SOA', ttl: zone.soa.ttl, records: [zone.soa.data]} : null
  }
  return zone.rrsets.get(rrsetKey(n, type)) ?? null
}

/** True when the name owns data, or has descendants (an empty non-terminal exists, RFC 4592 §2.2.2). */
export function nameExists(zone: Zone, name: string): boolean {
  const n = canonicalName(name)
  if (n === zone.apex) return true
  for (const set of zone.rrsets.values()) {
    if (set.name === n || set.name.endsWith('.' + n) || n === '.') return true
  }
  return false
}

export type Lookup =
  | {kind: 'answer'; chain: RRset[]}
  | {kind: 'nodata'; chain: RRset[]}
  | {kind: 'nxdomain'; chain: RRset[]}

/**
 * Authoritative lookup inside one zone, following CNAMEs that stay in the zone
 * (RFC 1034 §4.3.2). A CNAME leaving the zone ends the chain: the resolver follows it.
 */
export function lookup(zone: Zone, name: string, type: string): Lookup {
  const chain: RRset[] = []
  let current = canonicalName(name)
  const t = type.toUpperCase()
  for (let hops = 0; hops < 16; hops++) {
    if (!inZone(current, zone.apex)) return {kind: 'answer', chain}
    if (t === 'ANY') {
      const all = [...zone.rrsets.values()].filter((s) => s.name === current)
      if (current === zone.apex) all.unshift(getRRset(zone, current, 'SOA') as RRset)
      if (all.length > 0) return {kind: 'answer', chain: all}
      return nameExists(zone, current) ? {kind: 'nodata', chain} : {kind: 'nxdomain', chain}
    }
    const direct = getRRset(zone, current, t)
    if (direct) return {kind: 'answer', chain: [...chain, direct]}
    const alias = t === 'CNAME' ? null : getRRset(zone, current, 'CNAME')
    if (alias) {
      chain.push(alias)
      current = canonicalName(alias.records[0] as string)
      continue
    }
    if (chain.length > 0) {
      // The target of an in-zone alias is absent: the answer carries the alias and the target's status.
      return nameExists(zone, current) ? {kind: 'nodata', chain} : {kind: 'nxdomain', chain}
    }
    return nameExists(zone, current) ? {kind: 'nodata', chain} : {kind: 'nxdomain', chain}
  }
  return {kind: 'answer', chain}
}

/** The negative-caching TTL a server hands out with the SOA (RFC 2308 §3): the smaller of the SOA's TTL and MINIMUM. */
export function negativeTtl(zone: Zone): number {
  return Math.min(zone.soa.ttl, zone.soa.data.minimum)
}

/** The dns-packet record for one record of an RRset, with the TTL to send. */
export function toAnswer(set: Pick<RRset, 'name' | 'type'>, data: RecordData, ttl: number): Answer {
  const base = {name: set.name === '' ? '.' : set.name, ttl, class: 'IN' as const}
  switch (set.type) {
    case 'MX': {
      const mx = data as MxData
      return {...base, type: 'MX', data: {preference: mx.priority, exchange: mx.exchange === '.' ? '.' : mx.exchange}}
    }
    case 'TXT':
      return {...base, type: 'TXT', data: txtStrings(data as TxtData).map((s) => Buffer.from(s, 'utf8'))}
    case 'SOA':
      return {...base, type: 'SOA', data: {...(data as SoaData)}}
    case 'TLSA': {
      const d = data as TlsaData
      return {
        ...base,
        type: 'TLSA',
        data: {usage: d.usage, selector: d.selector, matchingType: d.matchingType, certificate: Buffer.from(d.certificate, 'hex')},
      }
    }
    default:
      return {...base, type: set.type, data} as Answer
  }
}

export function rrsetAnswers(set: RRset, ttl = set.ttl): Answer[] {
  return set.records.map((r) => toAnswer(set, r, ttl))
}

/** One record of an UPDATE message: class IN adds, ANY/NONE delete (RFC 2136 §2.5). */
export interface UpdateRecord {
  name: string
  type: string
  class: 'IN' | 'ANY' | 'NONE' | string
  ttl: number
  /** Null when RDLENGTH is 0. */
  data: RecordData | null
}

export type UpdateRcode = 'NOERROR' | 'FORMERR' | 'NXDOMAIN' | 'YXDOMAIN' | 'YXRRSET' | 'NXRRSET' | 'NOTZONE' | 'REFUSED'

/** Checks RFC 2136 §2.4 prerequisites against the zone; returns the first failing rcode or NOERROR. */
export function checkPrerequisites(zone: Zone, prereqs: readonly UpdateRecord[]): UpdateRcode {
  const valueDependent = new Map<string, UpdateRecord[]>()
  for (const p of prereqs) {
    if (!inZone(p.name, zone.apex)) return 'NOTZONE'
    if (p.ttl !== 0) return 'FORMERR'
    if (p.class === 'ANY') {
      if (p.data !== null) return 'FORMERR'
      if (p.type === 'ANY') {
        if (!nameOwnsData(zone, p.name)) return 'NXDOMAIN'
      } else if (!getRRset(zone, p.name, p.type)) return 'NXRRSET'
    } else if (p.class === 'NONE') {
      if (p.data !== null) return 'FORMERR'
      if (p.type === 'ANY') {
        if (nameOwnsData(zone, p.name)) return 'YXDOMAIN'
      } else if (getRRset(zone, p.name, p.type)) return 'YXRRSET'
    } else if (p.class === 'IN') {
      if (p.data === null) return 'FORMERR'
      const key = rrsetKey(p.name, p.type)
      valueDependent.set(key, [...(valueDependent.get(key) ?? []), p])
    } else {
      return 'FORMERR'
    }
  }
  for (const group of valueDependent.values()) {
    const want = {type: group[0].type, records: group.map((g) => g.data as RecordData)}
    if (!sameData(getRRset(zone, group[0].name, group[0].type), want)) return 'NXRRSET'
  }
  return 'NOERROR'
}

function nameOwnsData(zone: Zone, name: string): boolean {
  const n = canonicalName(name)
  return n === zone.apex || [...zone.rrsets.values()].some((s) => s.name === n)
}

/**
 * Applies the update section (RFC 2136 §3.4.2) to a copy of the zone and
 * returns it with the serial raised when anything changed, or the rcode that
 * refuses the whole message. All or nothing: the caller swaps the copy in.
 */
export function applyUpdates(zone: Zone, updates: readonly UpdateRecord[]): {rcode: UpdateRcode; zone: Zone; changed: boolean} {
  for (const u of updates) {
    if (!inZone(u.name, zone.apex)) return {rcode: 'NOTZONE', zone, changed: false}
    if (u.class === 'IN' && u.data === null) return {rcode: 'FORMERR', zone, changed: false}
    if (u.class === 'ANY' && u.data !== null) return {rcode: 'FORMERR', zone, changed: false}
    if (!['IN', 'ANY', 'NONE'].includes(u.class)) return {rcode: 'FORMERR', zone, changed: false}
  }
  const next = cloneZone(zone)
  const before = zoneFingerprint(zone)
  for (const u of updates) {
    const name = canonicalName(u.name)
    const type = u.type.toUpperCase()
    if (u.class === 'ANY') {
      // Deleting the apex SOA or NS this way is ignored (RFC 2136 §3.4.2.3).
      if (type === 'ANY') {
        for (const [key, set] of next.rrsets) {
          if (set.name === name && !(name === next.apex && set.type === 'NS')) next.rrsets.delete(key)
        }
      } else if (!(name === next.apex && (type === 'SOA' || type === 'NS'))) {
        next.rrsets.delete(rrsetKey(name, type))
      }
    } else if (u.class === 'NONE') {
      if (type === 'SOA') continue
      const set = next.rrsets.get(rrsetKey(name, type))
      if (!set || u.data === null) continue
      const drop = rdataKeys({type, records: [u.data]})[0]
      const kept = set.records.filter((r) => rdataKeys({type, records: [r]})[0] !== drop)
      // The last NS of the apex stays (RFC 2136 §3.4.2.4).
      if (kept.length === 0 && name === next.apex && type === 'NS') continue
      if (kept.length === 0) next.rrsets.delete(rrsetKey(name, type))
      else next.rrsets.set(rrsetKey(name, type), {...set, records: kept})
    } else {
      const data = u.data as RecordData
      if (type === 'SOA') {
        const soa = data as SoaData
        // A SOA update only takes effect with a higher serial (RFC 2136 §3.4.2.2).
        if (name === next.apex && serialGreater(soa.serial, next.soa.data.serial)) next.soa = {ttl: u.ttl, data: {...soa}}
        continue
      }
      const hasCname = next.rrsets.has(rrsetKey(name, 'CNAME'))
      const hasOther = [...next.rrsets.values()].some((s) => s.name === name && s.type !== 'CNAME')
      // CNAME and other data cannot share a name (RFC 2136 §3.4.2.2, RFC 2181 §10.1).
      if ((type === 'CNAME' && hasOther) || (type !== 'CNAME' && hasCname)) continue
      const key = rrsetKey(name, type)
      const set = next.rrsets.get(key)
      if (type === 'CNAME') {
        next.rrsets.set(key, {name, type, ttl: u.ttl, records: [data]})
        continue
      }
      if (!set) {
        next.rrsets.set(key, {name, type, ttl: u.ttl, records: [data]})
        continue
      }
      const exists = rdataKeys({type, records: set.records}).includes(rdataKeys({type, records: [data]})[0])
      // The whole RRset takes the TTL of the record added last, as BIND does.
      next.rrsets.set(key, {...set, ttl: u.ttl, records: exists ? set.records : [...set.records, data]})
    }
  }
  const changed = zoneFingerprint(next) !== before
  if (changed && next.soa.data.serial === zone.soa.data.serial) {
    next.soa = {ttl: next.soa.ttl, data: {...next.soa.data, serial: nextSerial(zone.soa.data.serial)}}
  }
  return {rcode: 'NOERROR', zone: changed ? next : zone, changed}
}

/** RFC 1982 serial arithmetic. */
export function serialGreater(a: number, b: number): boolean {
  return a !== b && ((a > b && a - b < 2 ** 31) || (a < b && b - a > 2 ** 31))
}

export function nextSerial(serial: number): number {
  return (serial + 1) % 2 ** 32 || 1
}

function zoneFingerprint(zone: Zone): string {
  return [...zone.rrsets.values()]
    .map((s) => `${s.name} ${s.type} ${s.ttl} ${rdataKeys(s).join('|')}`)
    .sort()
    .join('\n')
}
