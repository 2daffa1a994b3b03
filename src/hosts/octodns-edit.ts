import {isMap, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLMap} from 'yaml'
import {canonicalName, relativeName} from '../dns/names.js'
import {parseTxtPresentation, txtText, type MxData, type TxtData} from '../dns/records.js'
import type {RecordData, RRset} from '../zone/rrset.js'
import {DnsHostError, type RecordChange} from './types.js'

/**
 * Edits an octoDNS zone file (YamlProvider: names relative to the zone, ''
 * the apex, each holding one record or a list, with type, ttl and value or
 * values) through the yaml library's document, so comments and the records
 * mxcut does not change stay as they are. octoDNS loads its files with keys
 * in sorted order (enforce_order), so a new name and the keys of a rewritten
 * record are placed in order. octoDNS keeps no SOA (its providers raise the
 * serial) and defaults TTLs to 3600; TXT values escape ';' as '\;' and are
 * one text each, which octoDNS splits at 255 octets when it publishes them.
 */

const DEFAULT_TTL = 3600
type Raw = Record<string, unknown>

export interface OctodnsZone {
  doc: Document
  origin: string
  file: string
}

function fail(file: string, problem: string): DnsHostError {
  return new DnsHostError('rejected', `octoDNS zone file ${file}: ${problem}`)
}

export function parseOctodns(text: string, origin: string, file: string): OctodnsZone {
  const doc = parseDocument(text, {uniqueKeys: true})
  if (doc.errors.length > 0) throw fail(file, `not valid YAML at line ${doc.errors[0].linePos?.[0].line ?? '?'}: ${doc.errors[0].message.split('\n')[0]}`)
  if (doc.contents !== null && !isMap(doc.contents)) throw fail(file, "an octoDNS zone is a mapping of names ('' for the apex) to records")
  return {doc, origin: canonicalName(origin), file}
}

function keyOf(name: string, origin: string): string {
  const rel = relativeName(canonicalName(name), origin)
  return rel === '@' ? '' : rel
}

function absolute(value: unknown, origin: string): string {
  const v = String(value)
  return v.endsWith('.') ? canonicalName(v) : canonicalName(`${v}.${origin}`)
}

function dataOf(type: string, value: unknown, origin: string, file: string): RecordData {
  switch (type) {
    case 'MX': {
      const v = (value ?? {}) as Raw
      return {priority: Number(v.preference ?? v.priority), exchange: String(v.exchange ?? v.value) === '.' ? '.' : absolute(v.exchange ?? v.value, origin)} satisfies MxData
    }
    case 'TXT':
    case 'SPF': {
      const text = String(value).replace(/\\;/g, ';')
      // octoDNS joins "…" "…" chunks into one text and splits it at 255 octets itself.
      return text.startsWith('"') ? txtText(parseTxtPresentation(text)) : text
    }
    case 'CNAME':
    case 'ALIAS':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return absolute(value, origin)
    case 'A':
    case 'AAAA':
      return String(value).toLowerCase()
    default:
      throw fail(file, `record type ${type} is not read by mxcut`)
  }
}

function valueOf(type: string, data: RecordData, file: string, name: string): unknown {
  switch (type) {
    case 'MX': {
      const mx = data as MxData
      return {exchange: mx.exchange === '.' ? '.' : `${mx.exchange}.`, preference: mx.priority}
    }
    case 'TXT':
      if (Array.isArray(data) && data.length > 1) {
        throw new DnsHostError('not-supported', `${name} TXT is split into ${data.length} strings other than at 255 octets; octoDNS keeps one text per TXT value and splits it at 255 itself, so ${file} cannot hold this split`)
      }
      return txtText(data as TxtData).replace(/;/g, '\\;')
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return `${data as string}.`
    default:
      return data
  }
}

/** The records of a name: one map, or a list of them. */
function recordsAt(zone: OctodnsZone, key: string): Raw[] {
  const all = (zone.doc.toJS() ?? {}) as Record<string, unknown>
  const v = all[key]
  if (v === undefined || v === null) return []
  return (Array.isArray(v) ? v : [v]) as Raw[]
}

export function rrsetInOctodns(zone: OctodnsZone, name: string, type: string): RRset | null {
  const rec = recordsAt(zone, keyOf(name, zone.origin)).find((r) => String(r.type ?? '').toUpperCase() === type)
  if (!rec) return null
  const values = Array.isArray(rec.values) ? rec.values : rec.value !== undefined ? [rec.value] : []
  if (values.length === 0) return null
  return {name: canonicalName(name), type, ttl: rec.ttl === undefined ? DEFAULT_TTL : Number(rec.ttl), records: values.map((v: unknown) => dataOf(type, v, zone.origin, zone.file))}
}

/** octoDNS's natural order of keys: digit runs compared as numbers. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', {numeric: true})
}

function recordNode(zone: OctodnsZone, change: RecordChange & {action: 'replace'}, name: string) {
  const values = change.records.map((d) => valueOf(change.type, d, zone.file, name))
  // Keys in sorted order, as octoDNS enforces: ttl, type, value(s).
  const single = change.type === 'CNAME' || change.type === 'ALIAS'
  return zone.doc.createNode(single ? {ttl: change.ttl, type: change.type, value: values[0]} : {ttl: change.ttl, type: change.type, values})
}

/** Makes one change in the document: the record of this type under its name replaced, removed or added. */
function editOne(zone: OctodnsZone, change: RecordChange): void {
  const {doc} = zone
  const key = keyOf(change.name, zone.origin)
  const name = canonicalName(change.name)
  const replacement = change.action === 'replace' && change.records.length > 0 ? recordNode(zone, change, name) : null
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents
  const root = doc.contents as unknown as YAMLMap
  const node: unknown = root.get(key, true)
  const isType = (n: unknown) => isMap(n) && String((n as YAMLMap).get('type')).toUpperCase() === change.type
  if (node === undefined) {
    if (!replacement) return
    const pair = doc.createPair(key, replacement) as Pair
    const at = root.items.findIndex((p) => naturalCompare(String(isScalar(p.key) ? p.key.value : p.key), key) > 0)
    root.items.splice(at < 0 ? root.items.length : at, 0, pair)
    return
  }
  if (isSeq(node)) {
    const i = node.items.findIndex(isType)
    if (i >= 0 && replacement) node.items[i] = replacement
    else if (i >= 0) node.items.splice(i, 1)
    else if (replacement) node.items.push(replacement)
    if (node.items.length === 0) root.delete(key)
    return
  }
  if (isType(node)) {
    if (replacement) root.set(key, replacement)
    else root.delete(key)
    return
  }
  if (replacement) root.set(key, doc.createNode([node, replacement]))
}

export function editOctodns(zone: OctodnsZone, changes: readonly RecordChange[]): string {
  for (const change of changes) editOne(zone, change)
  return zone.doc.toString({lineWidth: 0})
}
