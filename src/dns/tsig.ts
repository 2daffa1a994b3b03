import {createHmac, timingSafeEqual} from 'node:crypto'
import {createRequire} from 'node:module'

/**
 * TSIG (RFC 8945): HMAC signatures over whole DNS messages with a shared key.
 * dns-packet has no TSIG, so the record is written and read here on the raw
 * message bytes.
 */

/** RFC 8945 §6: sha256 is mandatory; sha1 is still what older servers and keys use (deprecated); sha224/384/512 optional. */
export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1'] as const
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number]

/** Algorithms kept for old servers only: a key of one of these should be replaced. */
export const WEAK_TSIG_ALGORITHMS: ReadonlySet<TsigAlgorithm> = new Set(['hmac-sha1'])

export interface TsigKey {
  /** Key name as configured on the server (a domain name, e.g. "mxcut" or "mxcut-key.contoso.com"). */
  name: string
  algorithm: TsigAlgorithm
  /** The decoded shared secret. */
  secret: Buffer
}

/** TSIG RR type and the extended error codes of its Error field (RFC 8945 §4.3 / IANA). */
export const TSIG_TYPE = 250
export const TSIG_ERRORS: Record<number, string> = {16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC'}
/** RFC 8945 §10 recommends 300 seconds. */
export const DEFAULT_FUDGE = 300
const CLASS_ANY = 255

const HASH: Record<TsigAlgorithm, string> = {'hmac-sha1': 'sha1', 'hmac-sha224': 'sha224', 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512'}

interface WireName {
  decode(buf: Buffer, offset?: number): string
}
const wire = createRequire(import.meta.url)('dns-packet') as {name: WireName & {decode: WireName['decode'] & {bytes: number}}}

/** A base64 secret as BIND's tsig-keygen prints it; throws on anything else. */
export function decodeSecret(base64: string): Buffer {
  const text = base64.trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('TSIG secret is not base64')
  const secret = Buffer.from(text, 'base64')
  if (secret.length < 16) throw new Error('TSIG secret is shorter than 16 bytes')
  return secret
}

/** Canonical (lower-case, uncompressed) wire form of a name, as the MAC input requires (RFC 8945 §4.3.3). */
export function canonicalWireName(name: string): Buffer {
  const trimmed = name.trim().replace(/\.$/, '').toLowerCase()
  const labels = trimmed === '' ? [] : trimmed.split('.')
  const parts: Buffer[] = []
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii')
    if (bytes.length === 0 || bytes.length > 63) throw new Error(`invalid label in name '${name}'`)
    parts.push(Buffer.from([bytes.length]), bytes)
  }
  parts.push(Buffer.from([0]))
  return Buffer.concat(parts)
}

export interface TsigRecord {
  /** Owner name (the key name). */
  keyName: string
  algorithm: string
  timeSigned: number
  fudge: number
  mac: Buffer
  originalId: number
  error: number
  otherData: Buffer
}

function write48(seconds: number): Buffer {
  const b = Buffer.alloc(6)
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32) & 0xffff, 0)
  b.writeUInt32BE(seconds % 2 ** 32, 2)
  return b
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n, 0)
  return b
}

/** The "TSIG variables" part of the MAC input (RFC 8945 §4.3.3). */
function variables(key: TsigKey, timeSigned: number, fudge: number, error: number, otherData: Buffer): Buffer {
  return Buffer.concat([
    canonicalWireName(key.name),
    u16(CLASS_ANY),
    Buffer.alloc(4), // TTL 0
    canonicalWireName(key.algorithm),
    write48(timeSigned),
    u16(fudge),
    u16(error),
    u16(otherData.length),
    otherData,
  ])
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(HASH[key.algorithm], key.secret)
  for (const p of parts) h.update(p)
  return h.digest()
}

function requestMacPrefix(requestMac: Buffer | undefined): Buffer[] {
  // A response's MAC covers the request's MAC first, binding the two together (RFC 8945 §4.3.1).
  return requestMac ? [u16(requestMac.length), requestMac] : []
}

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  now?: number
  fudge?: number
  /** When signing a response: the MAC of the request it answers. */
  requestMac?: Buffer
  error?: number
  otherData?: Buffer
}

/**
 * Appends a TSIG record to a complete, unsigned DNS message and increments
 * ARCOUNT. Returns the signed message and its MAC (needed to check the answer).
 */
export function signMessage(message: Buffer, key: TsigKey, options: SignOptions = {}): {message: Buffer; mac: Buffer} {
  if (message.length < 12) throw new Error('DNS message shorter than its header')
  const timeSigned = options.now ?? Math.floor(Date.now() / 1000)
  const fudge = options.fudge ?? DEFAULT_FUDGE
  const error = options.error ?? 0
  const otherData = options.otherData ?? Buffer.alloc(0)
  const mac = hmac(key, [...requestMacPrefix(options.requestMac), message, variables(key, timeSigned, fudge, error, otherData)])
  const rdata = Buffer.concat([
    canonicalWireName(key.algorithm),
    write48(timeSigned),
    u16(fudge),
    u16(mac.length),
    mac,
    u16(message.readUInt16BE(0)), // original ID
    u16(error),
    u16(otherData.length),
    otherData,
  ])
  const rr = Buffer.concat([canonicalWireName(key.name), u16(TSIG_TYPE), u16(CLASS_ANY), Buffer.alloc(4), u16(rdata.length), rdata])
  const out = Buffer.concat([message, rr])
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10)
  return {message: out, mac}
}

function skipName(buf: Buffer, offset: number): number {
  wire.name.decode(buf, offset)
  return offset + wire.name.decode.bytes
}

/**
 * Finds the TSIG record, which must be the last record of the additional
 * section (RFC 8945 §5.1). Returns its offset so the unsigned message can be
 * reconstructed, or null when the message is not signed. Throws on a
 * malformed message.
 */
export function findTsig(buf: Buffer): {offset: number; record: TsigRecord} | null {
  if (buf.length < 12) throw new Error('DNS message shorter than its header')
  const qd = buf.readUInt16BE(4)
  const rrCount = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10)
  let offset = 12
  for (let i = 0; i < qd; i++) offset = skipName(buf, offset) + 4
  let last: {offset: number; type: number; rdata: number; end: number; owner: string} | null = null
  for (let i = 0; i < rrCount; i++) {
    const start = offset
    const owner = wire.name.decode(buf, offset)
    offset += wire.name.decode.bytes
    if (offset + 10 > buf.length) throw new Error('truncated resource record')
    const type = buf.readUInt16BE(offset)
    const rdlength = buf.readUInt16BE(offset + 8)
    const rdata = offset + 10
    offset = rdata + rdlength
    if (offset > buf.length) throw new Error('truncated resource record')
    if (type === TSIG_TYPE && i !== rrCount - 1) throw new Error('TSIG record is not the last record')
    last = {offset: start, type, rdata, end: offset, owner}
  }
  if (!last || last.type !== TSIG_TYPE || buf.readUInt16BE(10) === 0) return null
  let p = last.rdata
  const algorithm = wire.name.decode(buf, p)
  p += wire.name.decode.bytes
  const timeSigned = buf.readUInt16BE(p) * 2 ** 32 + buf.readUInt32BE(p + 2)
  const fudge = buf.readUInt16BE(p + 6)
  const macSize = buf.readUInt16BE(p + 8)
  const mac = buf.subarray(p + 10, p + 10 + macSize)
  p += 10 + macSize
  const originalId = buf.readUInt16BE(p)
  const error = buf.readUInt16BE(p + 2)
  const otherLen = buf.readUInt16BE(p + 4)
  const otherData = buf.subarray(p + 6, p + 6 + otherLen)
  if (p + 6 + otherLen !== last.end) throw new Error('malformed TSIG record')
  return {
    offset: last.offset,
    record: {keyName: last.owner.toLowerCase(), algorithm: algorithm.toLowerCase(), timeSigned, fudge, mac: Buffer.from(mac), originalId, error, otherData: Buffer.from(otherData)},
  }
}

export type TsigCheck =
  | {ok: true; record: TsigRecord}
  | {ok: false; reason: 'unsigned' | 'wrong-key' | 'bad-mac' | 'bad-time' | 'malformed'; record?: TsigRecord; detail: string}

/**
 * Verifies a signed message (a response when requestMac is given): the key
 * name and algorithm, the MAC over the message as it was before the TSIG
 * record was added (ID restored to the original ID, ARCOUNT decremented),
 * then the time signed within the fudge (RFC 8945 §5.2 order: MAC first).
 */
export function verifyMessage(buf: Buffer, key: TsigKey, options: {requestMac?: Buffer; now?: number} = {}): TsigCheck {
  let found: ReturnType<typeof findTsig>
  try {
    found = findTsig(buf)
  } catch (err) {
    return {ok: false, reason: 'malformed', detail: (err as Error).message}
  }
  if (!found) return {ok: false, reason: 'unsigned', detail: 'message carries no TSIG record'}
  const {record} = found
  if (record.keyName !== key.name.replace(/\.$/, '').toLowerCase() || record.algorithm !== key.algorithm) {
    return {ok: false, reason: 'wrong-key', record, detail: `signed with key ${record.keyName} (${record.algorithm})`}
  }
  const unsigned = Buffer.from(buf.subarray(0, found.offset))
  unsigned.writeUInt16BE(record.originalId, 0)
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10)
  const expected = hmac(key, [
    ...requestMacPrefix(options.requestMac),
    unsigned,
    variables(key, record.timeSigned, record.fudge, record.error, record.otherData),
  ])
  // Truncated MACs (RFC 8945 §5.2.2.1) are not accepted: we never ask for them.
  if (record.mac.length !== expected.length || !timingSafeEqual(record.mac, expected)) {
    return {ok: false, reason: 'bad-mac', record, detail: 'MAC does not verify'}
  }
  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - record.timeSigned) > record.fudge) {
    return {ok: false, reason: 'bad-time', record, detail: `time signed is ${now - record.timeSigned} s away from this clock (fudge ${record.fudge} s)`}
  }
  return {ok: true, record}
}
