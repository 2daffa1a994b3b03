import type {Answer} from 'dns-packet'
import {canonicalName} from './names.js'

export interface SoaData {
  mname: string
  rname: string
  serial: number
  refresh: number
  retry: number
  expire: number
  minimum: number
}

export interface MxData {
  priority: number
  exchange: string
}

export interface TlsaData {
  usage: number
  selector: number
  matchingType: number
  certificate: string
}

/**
 * One TXT record's character-strings (RFC 1035 §3.3.14), kept as the server
 * serves them. A string stands for its text cut into strings of at most 255
 * octets (so a record of one short string is that string, and a long value is
 * readable in the plan file); an array lists strings split any other way,
 * exactly. See txtStrings and txtData.
 */
export type TxtData = string | string[]

/** The data of one record as mxcut compares and stores it (TXT strings as served, names canonical). */
export type RecordData = string | TxtData | MxData | SoaData | TlsaData

/** One resource record in the form mxcut compares: names canonical, TXT strings as served. */
export type Rr =
  | {name: string; type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR' | 'DNAME'; ttl: number; data: string}
  | {name: string; type: 'MX'; ttl: number; data: MxData}
  | {name: string; type: 'TXT'; ttl: number; data: TxtData}
  | {name: string; type: 'SOA'; ttl: number; data: SoaData}
  | {name: string; type: 'TLSA'; ttl: number; data: TlsaData}
  | {name: string; type: string; ttl: number; data: unknown}

/** The longest character-string (RFC 1035 §3.3). */
export const TXT_STRING_MAX = 255

/** Cuts text into strings of at most 255 octets, never inside a UTF-8 sequence. */
export function splitTxt(text: string): string[] {
  const out: string[] = []
  let current = ''
  let octets = 0
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8')
    if (octets + n > TXT_STRING_MAX) {
      out.push(current)
      current = ''
      octets = 0
    }
    current += ch
    octets += n
  }
  out.push(current)
  return out
}

/** The character-strings a TXT record's data stands for, as they go on the wire. */
export function txtStrings(data: TxtData): string[] {
  return Array.isArray(data) ? [...data] : splitTxt(data)
}

/** What the record says (RFC 7208 §3.3, RFC 7489 §6.3: its strings concatenated without spaces). */
export function txtText(data: TxtData): string {
  return Array.isArray(data) ? data.join('') : data
}

/** The data for these strings: the joined text when cutting it at 255 octets gives them back, else the strings. */
export function txtData(strings: readonly string[]): TxtData {
  const joined = strings.join('')
  const resplit = splitTxt(joined)
  return resplit.length === strings.length && resplit.every((s, i) => s === strings[i]) ? joined : [...strings]
}

/** What one TXT answer says, its strings joined; for the semantics of SPF, DMARC, MTA-STS, DKIM. */
export function answerText(a: Pick<Rr, 'type' | 'data'>): string {
  return a.type === 'TXT' ? txtText(a.data as TxtData) : String(a.data)
}

/**
 * A record the planner rewrites keeps the split of the old one where it can:
 * the old strings that still open and close the new text stay as they are,
 * the changed middle becomes one string (cut at 255 octets when longer). A
 * record held as plain text (one string, or a value cut at 255) stays so.
 */
export function rewriteTxt(old: TxtData, text: string): TxtData {
  if (!Array.isArray(old)) return text
  if (txtText(old) === text) return [...old]
  const head: string[] = []
  let rest = text
  let i = 0
  while (i < old.length && old[i] !== '' && rest.startsWith(old[i])) {
    head.push(old[i])
    rest = rest.slice(old[i].length)
    i++
  }
  const tail: string[] = []
  let j = old.length - 1
  while (j >= i && old[j] !== '' && rest.endsWith(old[j])) {
    tail.unshift(old[j])
    rest = rest.slice(0, rest.length - old[j].length)
    j--
  }
  return txtData([...head, ...(rest === '' ? [] : splitTxt(rest)), ...tail])
}

function quoteString(text: string): string {
  let out = '"'
  for (const b of Buffer.from(text, 'utf8')) {
    if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b)
    else if (b < 0x20 || b > 0x7e) out += '\\' + String(b).padStart(3, '0')
    else out += String.fromCharCode(b)
  }
  return out + '"'
}

/** Zone-file form: each character-string quoted, RFC 1035 §5.1 escapes (`"v=spf1 … " "include:… -all"`). */
export function txtPresentation(data: TxtData): string {
  const strings = txtStrings(data)
  // A TXT without any string has no quoted form; RFC 3597 writes its empty RDATA.
  return strings.length === 0 ? '\\# 0' : strings.map(quoteString).join(' ')
}

/** Reads quoted (or bare) character-strings in zone-file form, each kept as its own string. */
export function parseTxtPresentation(text: string): TxtData {
  const strings: string[] = []
  const s = text.trim()
  let i = 0
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++
    if (i >= s.length) break
    const bytes: number[] = []
    const quoted = s[i] === '"'
    if (quoted) i++
    while (i < s.length && (quoted ? s[i] !== '"' : s[i] !== ' ' && s[i] !== '\t')) {
      if (s[i] === '\\' && i + 1 < s.length) {
        const digits = /^\d{3}/.exec(s.slice(i + 1))
        if (digits) {
          bytes.push(Number(digits[0]))
          i += 4
        } else {
          const ch = String.fromCodePoint(s.codePointAt(i + 1) ?? 0)
          bytes.push(...Buffer.from(ch, 'utf8'))
          i += 1 + ch.length
        }
        continue
      }
      const ch = String.fromCodePoint(s.codePointAt(i) ?? 0)
      bytes.push(...Buffer.from(ch, 'utf8'))
      i += ch.length
    }
    if (quoted) i++
    const text = Buffer.from(bytes).toString('utf8')
    // A longer string cannot be one character-string: cut it as servers and APIs do (Cloudflare, dnscontrol).
    strings.push(...(bytes.length > TXT_STRING_MAX ? splitTxt(text) : [text]))
  }
  return txtData(strings)
}

/** A copy that shares nothing with the original. */
export function copyRecordData(data: RecordData): RecordData {
  if (typeof data === 'string') return data
  return Array.isArray(data) ? [...data] : {...data}
}

/** dns-packet's decoded TXT data (Buffers) as mxcut holds it. */
export function txtFromWire(data: unknown): TxtData {
  const parts = Array.isArray(data) ? data : [data]
  return txtData(parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))))
}

export function fromAnswer(a: Answer): Rr | null {
  if (a.type === 'OPT') return null
  const name = canonicalName(a.name)
  const ttl = a.ttl ?? 0
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return {name, type: a.type, ttl, data: a.data.toLowerCase()}
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return {name, type: a.type, ttl, data: canonicalName(a.data)}
    case 'MX':
      return {name, type: 'MX', ttl, data: {priority: a.data.preference ?? 0, exchange: canonicalName(a.data.exchange)}}
    case 'TXT':
      return {name, type: 'TXT', ttl, data: txtFromWire(a.data)}
    case 'SOA':
      return {
        name,
        type: 'SOA',
        ttl,
        data: {
          mname: canonicalName(a.data.mname),
          rname: canonicalName(a.data.rname),
          serial: a.data.serial,
          refresh: a.data.refresh,
          retry: a.data.retry,
          expire: a.data.expire,
          minimum: a.data.minimum,
        },
      }
    case 'TLSA':
      return {
        name,
        type: 'TLSA',
        ttl,
        data: {
          usage: a.data.usage,
          selector: a.data.selector,
          matchingType: a.data.matchingType,
          certificate: Buffer.from(a.data.certificate).toString('hex'),
        },
      }
    default:
      return {name, type: a.type, ttl, data: 'data' in a ? a.data : null}
  }
}

/** Presentation form of the RDATA, as in a zone file. */
export function rdataText(rr: Pick<Rr, 'type' | 'data'>): string {
  switch (rr.type) {
    case 'MX': {
      const d = rr.data as MxData
      return `${d.priority} ${d.exchange === '.' ? '.' : d.exchange + '.'}`
    }
    case 'TXT':
      return txtPresentation(rr.data as TxtData)
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return `${rr.data as string}.`
    case 'SOA': {
      const d = rr.data as SoaData
      return `${d.mname}. ${d.rname}. ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`
    }
    case 'TLSA': {
      const d = rr.data as TlsaData
      return `${d.usage} ${d.selector} ${d.matchingType} ${d.certificate}`
    }
    default:
      return typeof rr.data === 'string' ? rr.data : JSON.stringify(rr.data)
  }
}
