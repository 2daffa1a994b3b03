import {canonicalName} from '../dns/names.js'
import {parseTxtPresentation, type MxData, type SoaData} from '../dns/records.js'
import type {RecordData, RRset} from '../zone/rrset.js'
import {toText} from './rdata.js'
import {DnsHostError, type RecordChange} from './types.js'

/**
 * Edits a BIND master file (RFC 1035 §5) the way a person would: the lines
 * of each changed RRset replaced where they stood, every other line, comment
 * and directive kept byte for byte, the SOA serial raised. Owners, TTLs and
 * classes may be left out as the format allows ($ORIGIN, $TTL, an owner
 * inherited from the line above, parentheses over several lines). New lines
 * are written with absolute owners and explicit TTLs, so they mean the same
 * wherever they land.
 */

interface Token {
  text: string
  quoted: boolean
  start: number
  end: number
}

export interface Entry {
  /** Offsets of the whole logical line in the text, its newline included. */
  start: number
  end: number
  line: number
  owner: string
  /** The owner was left out: it is the one of the record above. */
  inherited: boolean
  ttl: number | null
  type: string
  rdata: Token[]
  origin: string
}

export interface ZoneText {
  text: string
  entries: Entry[]
  /** $TTL in force at the end, the default of records without one. */
  defaultTtl: number | null
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS'])
const UNIT: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86400, w: 604800}

function fail(file: string, line: number, problem: string): DnsHostError {
  return new DnsHostError('rejected', `zone file ${file} line ${line}: ${problem}`)
}

/** A TTL as BIND reads it: seconds, or units (1h30m). */
export function parseTtl(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text)
  if (!/^(\d+[smhdw])+$/i.test(text)) return null
  let total = 0
  for (const m of text.matchAll(/(\d+)([smhdw])/gi)) total += Number(m[1]) * UNIT[m[2].toLowerCase()]
  return total
}

/** Logical lines (parentheses joined, comments dropped) with the offsets of their tokens. */
function logicalLines(text: string, file: string): Array<{start: number; end: number; line: number; indented: boolean; tokens: Token[]}> {
  const out: Array<{start: number; end: number; line: number; indented: boolean; tokens: Token[]}> = []
  let i = 0
  let line = 1
  while (i < text.length) {
    const start = i
    const startLine = line
    const indented = text[i] === ' ' || text[i] === '\t'
    const tokens: Token[] = []
    let depth = 0
    for (;;) {
      if (i >= text.length) break
      const c = text[i]
      if (c === '\n') {
        line++
        i++
        if (depth === 0) break
        continue
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        i++
        continue
      }
      if (c === ';') {
        while (i < text.length && text[i] !== '\n') i++
        continue
      }
      if (c === '(' || c === ')') {
        depth += c === '(' ? 1 : -1
        if (depth < 0) throw fail(file, line, "')' without '('")
        i++
        continue
      }
      const quoted = c === '"'
      let j = quoted ? i + 1 : i
      while (j < text.length) {
        const d = text[j]
        if (d === '\\' && j + 1 < text.length) {
          j += 2
          continue
        }
        if (quoted ? d === '"' : /[\s;()"]/.test(d)) break
        if (d === '\n') line++
        j++
      }
      if (quoted && text[j] !== '"') throw fail(file, startLine, 'a quoted string is not closed')
      tokens.push({text: text.slice(quoted ? i + 1 : i, j), quoted, start: i, end: quoted ? j + 1 : j})
      i = quoted ? j + 1 : j
    }
    if (depth > 0) throw fail(file, startLine, "'(' is never closed")
    if (tokens.length > 0) out.push({start, end: i, line: startLine, indented, tokens})
  }
  return out
}

function absolute(name: string, origin: string): string {
  if (name === '@') return origin
  if (name.endsWith('.')) return canonicalName(name)
  return canonicalName(`${name}.${origin === '.' ? '' : origin}`)
}

/** Reads the file's records; `origin` is the zone's name, as named.conf gives it. */
export function parseZoneText(text: string, origin: string, file: string): ZoneText {
  let currentOrigin = canonicalName(origin)
  let defaultTtl: number | null = null
  let lastOwner: string | null = null
  let lastTtl: number | null = null
  const entries: Entry[] = []
  for (const l of logicalLines(text, file)) {
    const first = l.tokens[0].text
    if (!l.indented && first.startsWith('$')) {
      const directive = first.toUpperCase()
      if (directive === '$ORIGIN') currentOrigin = absolute(l.tokens[1]?.text ?? '', currentOrigin)
      else if (directive === '$TTL') defaultTtl = parseTtl(l.tokens[1]?.text ?? '')
      else if (directive === '$INCLUDE') throw new DnsHostError('not-supported', `zone file ${file} line ${l.line}: $INCLUDE: mxcut edits one file; keep the records it changes (MX, TXT, CNAME) in the file dns.zonefile.file names, without $INCLUDE`)
      continue
    }
    const rest = [...l.tokens]
    let owner: string
    if (l.indented) {
      if (lastOwner === null) throw fail(file, l.line, 'a record without an owner before any owner was given')
      owner = lastOwner
    } else {
      owner = absolute(rest.shift()?.text ?? '', currentOrigin)
    }
    let ttl: number | null = null
    for (let k = 0; k < 2 && rest.length > 0; k++) {
      const t = rest[0].text
      if (!rest[0].quoted && CLASSES.has(t.toUpperCase())) rest.shift()
      else if (!rest[0].quoted && parseTtl(t) !== null) ttl = parseTtl(rest.shift()?.text ?? '')
    }
    const type = rest.shift()?.text.toUpperCase()
    if (!type || !/^[A-Z][A-Z0-9-]*$/.test(type)) throw fail(file, l.line, `cannot read the record type of '${text.slice(l.start, l.end).trim().slice(0, 60)}'`)
    // RFC 2308 §4: a record without a TTL takes $TTL, else (older files) the previous record's.
    const effective: number | null = ttl ?? defaultTtl ?? lastTtl
    entries.push({start: l.start, end: l.end, line: l.line, owner, inherited: l.indented, ttl: effective, type, rdata: rest, origin: currentOrigin})
    lastOwner = owner
    lastTtl = effective
  }
  return {text, entries, defaultTtl}
}

/** The record data of one entry, names made absolute against the origin of its line. */
export function entryData(e: Entry, file: string): RecordData {
  const words = e.rdata.map((t) => t.text)
  switch (e.type) {
    case 'MX': {
      const [pref, exchange] = words
      if (!/^\d+$/.test(pref ?? '') || exchange === undefined) throw fail(file, e.line, 'an MX record needs a preference and an exchange')
      return {priority: Number(pref), exchange: exchange === '.' ? '.' : absolute(exchange, e.origin)} satisfies MxData
    }
    case 'TXT':
    case 'SPF':
      return parseTxtPresentation(e.rdata.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' '))
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return absolute(words[0] ?? '', e.origin)
    case 'A':
    case 'AAAA':
      return (words[0] ?? '').toLowerCase()
    case 'SOA': {
      const [mname, rname, ...numbers] = words
      const [serial, refresh, retry, expire, minimum] = numbers.map((n) => parseTtl(n) ?? NaN)
      return {mname: absolute(mname, e.origin), rname: absolute(rname, e.origin), serial, refresh, retry, expire, minimum} satisfies SoaData
    }
    default:
      return words.join(' ')
  }
}

/** The RRset of (name, type) in the file, or null. */
export function rrsetIn(zone: ZoneText, name: string, type: string, file: string): RRset | null {
  const owner = canonicalName(name)
  const found = zone.entries.filter((e) => e.owner === owner && e.type === type)
  if (found.length === 0) return null
  return {name: owner, type, ttl: Math.min(...found.map((e) => e.ttl ?? 0)), records: found.map((e) => entryData(e, file))}
}

/** The next SOA serial: date-based serials (YYYYMMDDnn) move to today's first, or count on; others add one (RFC 1982). */
export function nextSerial(old: number, now: Date): number {
  const today = Number(`${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}${String(now.getUTCDate()).padStart(2, '0')}00`)
  if (old >= 1_970_010_100 && old < 2_200_000_000) return old < today ? today : old + 1
  return (old + 1) % 2 ** 32
}

interface Edit {
  start: number
  end: number
  text: string
}

function recordLines(change: RecordChange & {action: 'replace'}): string {
  const owner = canonicalName(change.name)
  return change.records.map((d) => `${owner === '.' ? '.' : `${owner}.`}\t${change.ttl}\tIN\t${change.type}\t${toText(change.type, d)}\n`).join('')
}

/**
 * The file with each change made and the SOA serial raised. A record whose
 * owner was inherited from a line that is gone gets its owner written out.
 */
export function editZoneText(zone: ZoneText, changes: readonly RecordChange[], now: Date, file: string): {text: string; serial: {from: number; to: number}} {
  const edits: Edit[] = []
  const removed = new Set<Entry>()
  /** Where a change's new lines go: in place of its first old line, or at the end. */
  const insertedAt = new Map<Entry, string>()
  let append = ''
  for (const change of changes) {
    const owner = canonicalName(change.name)
    const old = zone.entries.filter((e) => e.owner === owner && e.type === change.type)
    for (const e of old) removed.add(e)
    const lines = change.action === 'replace' && change.records.length > 0 ? recordLines(change) : ''
    if (old.length > 0) insertedAt.set(old[0], owner)
    if (old.length > 0) edits.push({start: old[0].start, end: old[0].end, text: lines})
    else append += lines
    for (const e of old.slice(1)) edits.push({start: e.start, end: e.end, text: ''})
  }
  let lastOwner: string | null = null
  for (const e of zone.entries) {
    if (removed.has(e)) {
      lastOwner = insertedAt.get(e) ?? lastOwner
      continue
    }
    if (e.inherited && lastOwner !== e.owner) edits.push({start: e.start, end: e.start, text: e.owner === '.' ? '.' : `${e.owner}.`})
    lastOwner = e.owner
  }
  const soa = zone.entries.find((e) => e.type === 'SOA')
  if (!soa || soa.rdata.length < 3) throw new DnsHostError('rejected', `zone file ${file} has no SOA record whose serial mxcut could raise`)
  if (removed.has(soa)) throw new DnsHostError('not-supported', `zone file ${file}: mxcut does not change the SOA record`)
  const serialToken = soa.rdata[2]
  const from = Number(serialToken.text)
  if (!/^\d+$/.test(serialToken.text)) throw fail(file, soa.line, `the SOA serial '${serialToken.text}' is not a number`)
  const to = nextSerial(from, now)
  edits.push({start: serialToken.start, end: serialToken.end, text: String(to)})
  let text = zone.text
  for (const edit of edits.sort((a, b) => b.start - a.start || b.end - a.end)) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end)
  if (append) text = (text.endsWith('\n') || text === '' ? text : text + '\n') + append
  return {text, serial: {from, to}}
}
