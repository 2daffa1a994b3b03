import {createRequire} from 'node:module'
import * as packet from 'dns-packet'
import type {Answer, DecodedPacket, Packet} from 'dns-packet'
import {fromAnswer} from '../dns/records.js'
import type {DnsServer} from '../dns/server.js'
import {tcpExchange, udpExchange} from '../dns/transport.js'
import type {RecordData} from '../zone/rrset.js'
import type {UpdateRecord} from './zone.js'

/** Raw wire helpers the sandbox servers need beyond dns-packet: UPDATE sections, rcodes, raw exchanges. */

const require = createRequire(import.meta.url)
const types = require('dns-packet/types.js') as {toString(code: number): string}
const rdata = require('dns-packet') as {
  record(type: string): {decode(buf: Buffer, offset: number): unknown}
  name: {decode: ((buf: Buffer, offset: number) => string) & {bytes: number}}
}

export const OPCODE = {QUERY: 0, NOTIFY: 4, UPDATE: 5} as const
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const
export type RcodeName = keyof typeof RCODE

const CLASS_NAMES: Record<number, string> = {1: 'IN', 254: 'NONE', 255: 'ANY'}

export interface Header {
  id: number
  flags: number
  opcode: number
  qr: boolean
  rd: boolean
  counts: [number, number, number, number]
}

export function readHeader(buf: Buffer): Header {
  if (buf.length < 12) throw new Error('message shorter than a DNS header')
  const flags = buf.readUInt16BE(2)
  return {
    id: buf.readUInt16BE(0),
    flags,
    opcode: (flags >> 11) & 0xf,
    qr: (flags & 0x8000) !== 0,
    rd: (flags & 0x0100) !== 0,
    counts: [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)],
  }
}

export interface RawRecord extends UpdateRecord {
  typeCode: number
}

export interface UpdateMessage {
  header: Header
  zone: {name: string; type: string; class: string} | null
  zoneCount: number
  prerequisites: RawRecord[]
  updates: RawRecord[]
  additionals: RawRecord[]
}

function readName(buf: Buffer, offset: number): [string, number] {
  const name = rdata.name.decode(buf, offset)
  return [name, offset + rdata.name.decode.bytes]
}

/**
 * Parses an UPDATE message (RFC 2136 §2). Read by hand because its delete
 * forms carry class ANY/NONE with empty RDATA, which dns-packet's decoder
 * cannot read. Throws on a malformed message (the caller answers FORMERR).
 */
export function parseUpdate(buf: Buffer): UpdateMessage {
  const header = readHeader(buf)
  let offset = 12
  let zone: UpdateMessage['zone'] = null
  for (let i = 0; i < header.counts[0]; i++) {
    const [name, next] = readName(buf, offset)
    if (next + 4 > buf.length) throw new Error('truncated zone section')
    const type = types.toString(buf.readUInt16BE(next))
    const klass = CLASS_NAMES[buf.readUInt16BE(next + 2)] ?? String(buf.readUInt16BE(next + 2))
    if (i === 0) zone = {name, type, class: klass}
    offset = next + 4
  }
  const section = (count: number): RawRecord[] => {
    const out: RawRecord[] = []
    for (let i = 0; i < count; i++) {
      const [name, next] = readName(buf, offset)
      if (next + 10 > buf.length) throw new Error('truncated resource record')
      const typeCode = buf.readUInt16BE(next)
      const type = types.toString(typeCode)
      const klassCode = buf.readUInt16BE(next + 2)
      const ttl = buf.readUInt32BE(next + 4)
      const rdlength = buf.readUInt16BE(next + 8)
      const end = next + 10 + rdlength
      if (end > buf.length) throw new Error('truncated resource record')
      let data: RecordData | null = null
      if (rdlength > 0 && typeCode !== 250) {
        // dns-packet's RDATA decoders start at the RDLENGTH field.
        const decoded = rdata.record(type).decode(buf, next + 8)
        const rr = fromAnswer({name, type, ttl, class: 'IN', data: decoded} as Answer)
        data = (rr?.data ?? null) as RecordData | null
      }
      out.push({name, type, typeCode, class: CLASS_NAMES[klassCode] ?? String(klassCode), ttl, data})
      offset = end
    }
    return out
  }
  const prerequisites = section(header.counts[1])
  const updates = section(header.counts[2])
  const additionals = section(header.counts[3])
  return {header, zone, zoneCount: header.counts[0], prerequisites, updates, additionals}
}

/** A bare response header plus the request's question/zone section copied verbatim. */
export function rawResponse(request: Buffer, opcode: number, rcode: number, extraFlags = 0): Buffer {
  const header = readHeader(request)
  let end = 12
  for (let i = 0; i < header.counts[0]; i++) {
    const [, next] = readName(request, end)
    end = next + 4
  }
  const out = Buffer.from(request.subarray(0, end))
  out.writeUInt16BE(0x8000 | (opcode << 11) | (header.flags & 0x0100) | extraFlags | (rcode & 0xf), 2)
  out.writeUInt16BE(0, 6)
  out.writeUInt16BE(0, 8)
  out.writeUInt16BE(0, 10)
  return out
}

export function decodeOrNull(buf: Buffer): DecodedPacket | null {
  try {
    return packet.decode(buf)
  } catch {
    return null
  }
}

/** One request/response over UDP with raw bytes (NOTIFY, which the query client does not send). */
export function udpRaw(server: DnsServer, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const id = message.readUInt16BE(0)
  return udpExchange(server, message, {timeoutMs, accept: (msg) => msg.length >= 12 && msg.readUInt16BE(0) === id && (msg.readUInt16BE(2) & 0x8000) !== 0})
}

/**
 * A zone transfer (AXFR, RFC 5936) over TCP: every record of the zone between
 * the opening and closing SOA, possibly over several messages.
 */
export async function axfr(server: DnsServer, zone: string, timeoutMs: number): Promise<Answer[]> {
  const request: Packet = {type: 'query', id: Math.floor(Math.random() * 65536), flags: 0, questions: [{type: 'AXFR', name: zone, class: 'IN'}]}
  const records: Answer[] = []
  let soaSeen = 0
  try {
    await tcpExchange(server, packet.encode(request), {
      timeoutMs,
      accept: (bytes) => {
        const msg = decodeOrNull(bytes)
        if (!msg || msg.id !== request.id) throw new Error('malformed zone transfer message')
        const rcode = (msg as DecodedPacket & {rcode?: string}).rcode ?? 'NOERROR'
        if (rcode !== 'NOERROR') throw new Error(`zone transfer refused: ${rcode}`)
        for (const a of msg.answers ?? []) {
          if (a.type === 'SOA' && ++soaSeen === 2) return true
          records.push(a)
        }
        return false
      },
    })
  } catch (err) {
    if (err instanceof Error && /closed the TCP connection/.test(err.message)) throw new Error('zone transfer ended before the closing SOA')
    throw err
  }
  return records
}
