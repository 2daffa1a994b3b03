import {parseDocument} from 'yaml'
import {isIPv4, isIPv6} from 'node:net'
import {canonicalName} from '../dns/names.js'
import type {RecordData} from '../dns/records.js'
import type {RRset} from './rrset.js'
import {KEPT_TYPES, zoneError, type ZoneSnapshot} from './zone-file.js'

/**
 * An octoDNS zone (YamlProvider: one file per zone, keys are names relative
 * to the zone, '' the apex; each holds one record or a list, with type, ttl
 * and value or values). octoDNS keeps no SOA; TTLs default to 3600 as octoDNS
 * does; TXT values escape ';' as '\;'.
 */

const OCTODNS_DEFAULT_TTL = 3600

type Raw = Record<string, unknown>

function absoluteName(value: unknown, origin: string, file: string, where: string): string {
  if (typeof value !== 'string' || value === '') throw zoneError(file, null, `${where}: a host name is missing`)
  return value.endsWith('.') ? canonicalName(value) : canonicalName(`${value}.${origin}`)
}

function values(rec: Raw): unknown[] {
  if (Array.isArray(rec.values)) return rec.values
  if (rec.value !== undefined) return [rec.value]
  return []
}

function dataOf(type: string, value: unknown, origin: string, file: string, where: string): RecordData {
  switch (type) {
    case 'A':
    case 'AAAA': {
      const v = String(value)
      if (!(type === 'A' ? isIPv4(v) : isIPv6(v))) throw zoneError(file, null, `${where}: '${v}' is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`)
      return v.toLowerCase()
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return absoluteName(value, origin, file, where)
    case 'MX': {
      const v = (value ?? {}) as Raw
      const priority = Number(v.preference ?? v.priority)
      const exchange = v.exchange ?? v.value
      if (!Number.isInteger(priority) || priority < 0 || priority > 65535) throw zoneError(file, null, `${where}: MX needs a preference from 0 to 65535`)
      return {priority, exchange: exchange === '.' ? '.' : absoluteName(exchange, origin, file, where)}
    }
    case 'TXT':
      return String(value).replace(/\\;/g, ';')
    default:
      throw zoneError(file, null, `${where}: record type ${type} is not read by mxcut`)
  }
}

export function parseOctodnsZone(text: string, options: {file: string; origin: string}): ZoneSnapshot {
  const {file} = options
  const origin = canonicalName(options.origin)
  const doc = parseDocument(text, {uniqueKeys: true})
  if (doc.errors.length > 0) throw zoneError(file, doc.errors[0].linePos?.[0].line ?? null, `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`)
  const data: unknown = doc.toJS()
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw zoneError(file, null, "an octoDNS zone is a mapping of names ('' for the apex) to records")
  const sets: RRset[] = []
  const skipped = new Set<string>()
  for (const [key, entry] of Object.entries(data as Raw)) {
    const name = key === '' || key === '@' ? origin : canonicalName(`${key}.${origin}`)
    for (const [i, raw] of (Array.isArray(entry) ? entry : [entry]).entries()) {
      const rec = (raw ?? {}) as Raw
      const where = `'${key}'${Array.isArray(entry) ? `[${i}]` : ''}`
      const type = String(rec.type ?? '').toUpperCase()
      if (type === '') throw zoneError(file, null, `${where}: a record without a type`)
      if (!KEPT_TYPES.has(type) || type === 'SOA' || type === 'TLSA') {
        skipped.add(type)
        continue
      }
      const ttl = rec.ttl === undefined ? OCTODNS_DEFAULT_TTL : Number(rec.ttl)
      if (!Number.isInteger(ttl) || ttl < 0) throw zoneError(file, null, `${where}: ttl must be a whole number of seconds`)
      const list = values(rec)
      if (list.length === 0) throw zoneError(file, null, `${where}: ${type} without value or values`)
      sets.push({name, type, ttl, records: list.map((v) => dataOf(type, v, origin, file, where))})
    }
  }
  return {origin, soa: null, rrsets: sets, file, skipped: [...skipped].sort()}
}
