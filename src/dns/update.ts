import {randomInt} from 'node:crypto'
import {createRequire} from 'node:module'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'
import type {RecordData} from './records.js'
import {canonicalName} from './names.js'
import {TXT_STRING_MAX, txtStrings, type MxData, type SoaData, type TlsaData, type TxtData} from './records.js'
import type {DnsServer} from './server.js'
import {DnsTimeout} from './timeout.js'
import {tcpExchange, udpExchange} from './transport.js'

/**
 * DNS UPDATE messages (RFC 2136). dns-packet cannot write class NONE or
 * empty RDATA, both of which UPDATE needs, so the message is assembled here
 * from dns-packet's per-type RDATA encoders. Sections are reused as RFC 2136
 * §2 says: zone = question, prerequisites = answers, updates = authorities.
 */

export const OPCODE_UPDATE = 5
export const CLASS = {IN: 1, NONE: 254, ANY: 255} as const

export interface UpdateRecord {
  name: string
  type: string
  class: keyof typeof CLASS
  ttl: number
  /** Absent: empty RDATA (RRset deletes and existence prerequisites). */
  data?: RecordData
}

interface RdataEncoder {
  encode(data: unknown, buf?: Buffer, offset?: number): Buffer
  encodingLength(data: unknown): number
}
const require = createRequire(import.meta.url)
const wire = require('dns-packet') as {
  record(type: string): RdataEncoder
  name: {encode(name: string, buf?: Buffer, offset?: number): Buffer; decode(buf: Buffer, offset?: number): string}
}
const types = require('dns-packet/types.js') as {toType(name: string): number}
const rcodes = require('dns-packet/rcodes.js') as {toString(code: number): string}

export class UnsupportedTypeError extends Error {}

/** The character-strings of a TXT record as sent: as read, or a new value cut at 255 octets (RFC 1035 §3.3.14). */
export function txtChunks(data: TxtData): Buffer[] {
  const chunks = txtStrings(data).map((s) => Buffer.from(s, 'utf8'))
  const long = chunks.find((c) => c.length > TXT_STRING_MAX)
  if (long) throw new Error(`a TXT character-string of ${long.length} octets cannot be sent (at most ${TXT_STRING_MAX})`)
  return chunks
}

/** RDATA with its 2-octet length prefix, as dns-packet's record encoders write it. */
export function encodeRdata(type: string, data: RecordData | undefined): Buffer {
  if (data === undefined) return Buffer.from([0, 0])
  let value: unknown
  switch (type) {
    case 'A':
    case 'AAAA':
      value = data as string
      break
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      value = canonicalName(data as string)
      break
    case 'MX': {
      const mx = data as MxData
      value = {preference: mx.priority, exchange: mx.exchange === '.' ? '.' : canonicalName(mx.exchange)}
      break
    }
    case 'TXT':
      value = txtChunks(data as TxtData)
      break
    case 'SOA':
      value = data as SoaData
      break
    case 'TLSA': {
      const t = data as TlsaData
      value = {usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.certificate, 'hex')}
      break
    }
    default:
      throw new UnsupportedTypeError(`record type ${type} cannot be written by mxcut's DNS UPDATE yet`)
  }
  const enc = wire.record(type)
  return enc.encode(value, Buffer.alloc(enc.encodingLength(value)), 0)
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n, 0)
  return b
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n, 0)
  return b
}

function encodeName(name: string): Buffer {
  const n = canonicalName(name)
  return wire.name.encode(n === '.' ? '.' : n)
}

function encodeRecord(r: UpdateRecord): Buffer {
  return Buffer.concat([encodeName(r.name), u16(types.toType(r.type)), u16(CLASS[r.class]), u32(r.ttl), encodeRdata(r.type, r.data)])
}

/** An unsigned UPDATE message for one zone. */
export function buildUpdateMessage(
  zone: string,
  prerequisites: readonly UpdateRecord[],
  updates: readonly UpdateRecord[],
  id: number = randomInt(0, 65536),
): Buffer {
  const header = Buffer.concat([u16(id), u16(OPCODE_UPDATE << 11), u16(1), u16(prerequisites.length), u16(updates.length), u16(0)])
  const zoneSection = Buffer.concat([encodeName(zone), u16(types.toType('SOA')), u16(CLASS.IN)])
  return Buffer.concat([header, zoneSection, ...prerequisites.map(encodeRecord), ...updates.map(encodeRecord)])
}

export interface UpdateResponseHeader {
  id: number
  qr: boolean
  opcode: number
  rcode: number
  rcodeName: string
}

export function parseResponseHeader(buf: Buffer): UpdateResponseHeader {
  if (buf.length < 12) throw new Error('DNS message shorter than its header')
  const flags = buf.readUInt16BE(2)
  const rcode = flags & 0xf
  return {id: buf.readUInt16BE(0), qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, rcode, rcodeName: rcodes.toString(rcode)}
}

function isAnswerTo(request: Buffer, response: Buffer): boolean {
  if (response.length < 12) return false
  const h = parseResponseHeader(response)
  // Same ID and opcode as the request: an UPDATE, or the signed query that checks a key.
  return h.qr && h.id === request.readUInt16BE(0) && h.opcode === ((request.readUInt16BE(2) >> 11) & 0xf)
}

export interface SendOptions {
  timeoutMs?: number
  /** 'fallback': UDP, then TCP on truncation or silence; 'only': TCP. */
  tcp?: 'fallback' | 'only'
}

/**
 * Sends a (signed) UPDATE and returns the raw answer so the caller can check
 * its TSIG. Throws DnsTimeout when no answer came, other errors for network trouble.
 */
export async function sendUpdate(server: DnsServer, message: Buffer, options: SendOptions = {}): Promise<{response: Buffer; transport: 'udp' | 'tcp'}> {
  assertConnectionAllowed('DNS', server.address)
  const timeoutMs = options.timeoutMs ?? 5000
  if (options.tcp !== 'only' && message.length <= 512) {
    try {
      const response = await udpExchange(server, message, {timeoutMs, accept: (msg) => isAnswerTo(message, msg)})
      if ((response.readUInt16BE(2) & 0x0200) === 0) return {response, transport: 'udp'}
    } catch (err) {
      // A lost datagram is retried over TCP; an UPDATE that already applied then fails its
      // prerequisites, which the caller resolves by re-reading the RRset.
      if (!(err instanceof DnsTimeout)) throw err
    }
  }
  return {response: await tcpExchange(server, message, {timeoutMs, accept: (msg) => isAnswerTo(message, msg)}), transport: 'tcp'}
}

