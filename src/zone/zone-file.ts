import {readFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {isIPv4, isIPv6} from 'node:net'
import {UserError} from '../lib/errors.js'
import {canonicalName, isInZone} from '../dns/names.js'
import type {RecordData, SoaData} from '../dns/records.js'
import type {RRset} from './rrset.js'

/**
 * A zone as a file holds it (a BIND master file, RFC 1035 §5, or an octoDNS
 * YAML zone): what `plan --zone` and `rehearse --zone` take instead of live
 * DNS, and what the demo serves. The record types a mail cutover reads are
 * kept; others are listed in `skipped`.
 */
export interface ZoneSnapshot {
  /** The zone apex: the SOA's owner, or the origin the file was read with. */
  origin: string
  soa: (SoaData & {ttl: number}) | null
  rrsets: RRset[]
  file: string
  /** Record types read but not kept (they play no part in a mail cutover). */
  skipped: string[]
}

/** The types a plan or a rehearsal can use; anything else in a zone file is skipped, not refused. */
export const KEPT_TYPES = new Set(['A', 'AAAA', 'NS', 'CNAME', 'PTR', 'DNAME', 'MX', 'TXT', 'SOA', 'TLSA'])

/** One problem in a zone file, located: "FILE line N: what is wrong". */
export function zoneError(file: string, line: number | null, problem: string): UserError {
  return new UserError(`zone file ${file}${line ? ` line ${line}` : ''}: ${problem}`)
}

interface Token {
  text: string
  quoted: boolean
}

interface LogicalLine {
  line: number
  /** The line began with a blank: the owner is the previous record's. */
  indented: boolean
  tokens: Token[]
}

/** Splits master-file text into logical lines: comments dropped, parentheses joined, quotes and escapes kept. */
export function tokenize(text: string, file: string): LogicalLine[] {
  const out: LogicalLine[] = []
  let line = 1
  let depth = 0
  let current: LogicalLine = {line: 1, indented: false, tokens: []}
  let atLineStart = true
  let i = 0
  const flush = () => {
    if (current.tokens.length > 0) out.push(current)
  }
  while (i < text.length) {
    const c = text[i]
    if (c === '\n') {
      line++
      i++
      if (depth === 0) {
        flush()
        current = {line, indented: false, tokens: []}
        atLineStart = true
      }
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      if (atLineStart && depth === 0 && current.tokens.length === 0) current.indented = true
      i++
      continue
    }
    atLineStart = false
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++
      continue
    }
    if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1
      if (depth < 0) throw zoneError(file, line, "')' without '('")
      i++
      continue
    }
    const start = line
    const quoted = c === '"'
    let j = quoted ? i + 1 : i
    let token = ''
    while (j < text.length) {
      const d = text[j]
      if (d === '\\' && j + 1 < text.length) {
        token += d + text[j + 1]
        j += 2
        continue
      }
      if (quoted ? d === '"' : /[\s;()"]/.test(d)) break
      if (d === '\n') line++
      token += d
      j++
    }
    if (quoted) {
      if (text[j] !== '"') throw zoneError(file, start, 'a quoted string is not closed')
      j++
    }
    current.tokens.push({text: token, quoted})
    i = j
  }
  if (depth > 0) throw zoneError(file, line, "'(' is never closed")
  flush()
  return out
}

/** Bytes of a character-string with its RFC 1035 escapes (\X, \DDD) decoded. */
function unescapeBytes(text: string): number[] {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      const digits = /^\d{3}/.exec(text.slice(i + 1))
      if (digits) {
        bytes.push(Number(digits[0]) & 0xff)
        i += 3
      } else {
        bytes.push(...Buffer.from(text[i + 1], 'utf8'))
        i += 1
      }
      continue
    }
    bytes.push(...Buffer.from(text[i], 'utf8'))
  }
  return bytes
}

const TTL_UNIT: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86400, w: 604800}

/** "3600", or BIND's "1h30m", "1w": seconds, or null when the token is not a TTL. */
export function parseTtl(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text)
  if (!/^(\d+[smhdw])+$/i.test(text)) return null
  let total = 0
  for (const m of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * TTL_UNIT[m[2]]
  return total
}

/** A name of the file made absolute and canonical: '@' is the origin, a name without a final dot is relative to it. */
function absolute(name: string, origin: string | null, file: string, line: number): string {
  if (name.includes('\\')) throw zoneError(file, line, `the name '${name}' uses an escape; mxcut reads plain names only`)
  if (name === '@' || !name.endsWith('.')) {
    if (origin === null) throw zoneError(file, line, `'${name}' is relative but no origin is known: add $ORIGIN or give the domain`)
    if (name === '@') return origin
    return canonicalName(`${name}.${origin}`)
  }
  return canonicalName(name)
}

interface ParseState {
  file: string
  origin: string | null
  defaultTtl: number | null
  lastTtl: number | null
  owner: string | null
  records: Array<{name: string; type: string; ttl: number; data: RecordData; line: number}>
  skipped: Set<string>
  soa: (SoaData & {ttl: number; owner: string}) | null
  depth: number
}

function rdata(type: string, tokens: Token[], st: ParseState, line: number): RecordData {
  const want = (n: number) => {
    if (tokens.length !== n) throw zoneError(st.file, line, `${type} takes ${n} field${n > 1 ? 's' : ''}, found ${tokens.length}`)
  }
  const name = (t: Token) => absolute(t.text, st.origin, st.file, line)
  const number = (t: Token, max: number, what: string) => {
    const v = Number(t.text)
    if (!/^\d+$/.test(t.text) || v > max) throw zoneError(st.file, line, `${type} ${what} '${t.text}' is not a number from 0 to ${max}`)
    return v
  }
  switch (type) {
    case 'A':
      want(1)
      if (!isIPv4(tokens[0].text)) throw zoneError(st.file, line, `'${tokens[0].text}' is not an IPv4 address`)
      return tokens[0].text
    case 'AAAA':
      want(1)
      if (!isIPv6(tokens[0].text)) throw zoneError(st.file, line, `'${tokens[0].text}' is not an IPv6 address`)
      return tokens[0].text.toLowerCase()
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'DNAME':
      want(1)
      return name(tokens[0])
    case 'MX':
      want(2)
      return {priority: number(tokens[0], 65535, 'priority'), exchange: tokens[1].text === '.' ? '.' : name(tokens[1])}
    case 'TXT':
      if (tokens.length === 0) throw zoneError(st.file, line, 'TXT needs at least one string')
      // RFC 7208 §3.3: the strings of one record are joined without spaces.
      return Buffer.from(tokens.flatMap((t) => unescapeBytes(t.text))).toString('utf8')
    case 'TLSA':
      if (tokens.length < 4) throw zoneError(st.file, line, 'TLSA takes usage, selector, matching type and the data')
      return {usage: number(tokens[0], 255, 'usage'), selector: number(tokens[1], 255, 'selector'), matchingType: number(tokens[2], 255, 'matching type'), certificate: tokens.slice(3).map((t) => t.text).join('').toLowerCase()}
    case 'SOA': {
      want(7)
      const times = tokens.slice(2).map((t, k) => {
        const v = k === 0 ? (/^\d+$/.test(t.text) ? Number(t.text) : null) : parseTtl(t.text)
        if (v === null || v > 0xffffffff) throw zoneError(st.file, line, `SOA ${['serial', 'refresh', 'retry', 'expire', 'minimum'][k]} '${t.text}' is not a number`)
        return v
      })
      return {mname: name(tokens[0]), rname: name(tokens[1]), serial: times[0], refresh: times[1], retry: times[2], expire: times[3], minimum: times[4]}
    }
    default:
      throw zoneError(st.file, line, `record type ${type} is not read by mxcut`)
  }
}

function directive(l: LogicalLine, st: ParseState): void {
  const [head, ...args] = l.tokens.map((t) => t.text)
  switch (head.toUpperCase()) {
    case '$ORIGIN':
      if (args.length !== 1) throw zoneError(st.file, l.line, '$ORIGIN takes one name')
      st.origin = absolute(args[0], st.origin, st.file, l.line)
      return
    case '$TTL': {
      const ttl = args.length === 1 ? parseTtl(args[0]) : null
      if (ttl === null) throw zoneError(st.file, l.line, `$TTL takes one TTL such as 3600 or 1h (got '${args.join(' ')}')`)
      st.defaultTtl = ttl
      return
    }
    case '$INCLUDE': {
      if (args.length < 1 || args.length > 2) throw zoneError(st.file, l.line, '$INCLUDE takes a file and an optional origin')
      if (st.depth > 8) throw zoneError(st.file, l.line, '$INCLUDE nested more than 8 deep')
      const path = resolve(dirname(st.file), args[0])
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch (err) {
        throw zoneError(st.file, l.line, `$INCLUDE ${args[0]} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
      }
      // The included file starts with the origin given (or the current one); ours is restored after it.
      const saved = {file: st.file, origin: st.origin, owner: st.owner, depth: st.depth}
      Object.assign(st, {file: path, origin: args[1] ? absolute(args[1], st.origin, st.file, l.line) : st.origin, depth: st.depth + 1})
      for (const inner of tokenize(text, path)) record(inner, st)
      Object.assign(st, saved)
      return
    }
    default:
      throw zoneError(st.file, l.line, `${head} is not supported (mxcut reads $ORIGIN, $TTL and $INCLUDE)`)
  }
}

/** One record line: owner, optional TTL and class in either order, type, data. */
function record(l: LogicalLine, st: ParseState): void {
  if (l.tokens[0].text.startsWith('$') && !l.indented) return directive(l, st)
  const tokens = [...l.tokens]
  if (!l.indented) st.owner = absolute((tokens.shift() as Token).text, st.origin, st.file, l.line)
  if (st.owner === null) throw zoneError(st.file, l.line, 'the first record has no owner name')
  let ttl: number | null = null
  for (let k = 0; k < 2 && tokens.length > 0; k++) {
    const t = tokens[0].text
    if (/^(IN|CH|HS|CS)$/i.test(t)) {
      if (t.toUpperCase() !== 'IN') throw zoneError(st.file, l.line, `class ${t} is not IN`)
      tokens.shift()
    } else if (ttl === null && parseTtl(t) !== null) {
      ttl = parseTtl(t)
      tokens.shift()
    }
  }
  const typeToken = tokens.shift()
  if (!typeToken) throw zoneError(st.file, l.line, `no record type after ${st.owner}`)
  const type = typeToken.text.toUpperCase()
  if (!/^[A-Z][A-Z0-9-]*$/.test(type)) throw zoneError(st.file, l.line, `'${typeToken.text}' is not a record type`)
  const effective = ttl ?? st.defaultTtl ?? st.lastTtl
  if (effective === null) throw zoneError(st.file, l.line, 'the record has no TTL and no $TTL came before it: add $TTL 3600 at the top')
  if (ttl !== null) st.lastTtl = ttl
  if (!KEPT_TYPES.has(type)) {
    st.skipped.add(type)
    return
  }
  const data = rdata(type, tokens, st, l.line)
  if (type === 'SOA') {
    if (st.soa) throw zoneError(st.file, l.line, 'a second SOA record; a zone file holds one zone')
    st.soa = {...(data as SoaData), ttl: effective, owner: st.owner}
    // RFC 2308 §4: without $TTL, BIND takes the SOA's last field as the default TTL.
    st.defaultTtl ??= (data as SoaData).minimum
    return
  }
  st.records.push({name: st.owner, type, ttl: effective, data, line: l.line})
}

/** Records of one name and type as one RRset (TTL: the smallest, RFC 2181 §5.2); data outside the zone is refused. */
function group(st: ParseState, apex: string): RRset[] {
  const sets = new Map<string, RRset>()
  for (const r of st.records) {
    if (!isInZone(r.name, apex)) throw zoneError(st.file, r.line, `${r.name} is outside the zone ${apex}`)
    const key = `${r.name} ${r.type}`
    const set = sets.get(key)
    if (set) {
      set.ttl = Math.min(set.ttl, r.ttl)
      set.records.push(r.data)
    } else sets.set(key, {name: r.name, type: r.type, ttl: r.ttl, records: [r.data]})
  }
  for (const set of sets.values()) {
    if (set.type === 'CNAME' && ([...sets.values()].some((o) => o.name === set.name && o.type !== 'CNAME') || set.records.length > 1)) {
      throw zoneError(st.file, null, `${set.name} has a CNAME and other data (RFC 1034 §3.6.2); fix the file`)
    }
  }
  return [...sets.values()]
}

/** Parses a BIND master file. `origin`: the zone to read relative names against until a $ORIGIN says otherwise. */
export function parseBindZone(text: string, options: {file: string; origin?: string}): ZoneSnapshot {
  const st: ParseState = {file: options.file, origin: options.origin ? canonicalName(options.origin) : null, defaultTtl: null, lastTtl: null, owner: null, records: [], skipped: new Set(), soa: null, depth: 0}
  for (const l of tokenize(text, options.file)) record(l, st)
  const apex = st.soa?.owner ?? st.origin
  if (!apex) throw zoneError(options.file, null, 'no SOA and no $ORIGIN: the zone cannot be told')
  const {owner: _owner, ...soa} = st.soa ?? {owner: ''}
  return {origin: apex, soa: st.soa ? (soa as SoaData & {ttl: number}) : null, rrsets: group(st, apex), file: options.file, skipped: [...st.skipped].sort()}
}
