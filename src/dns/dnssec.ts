import {createHash, createPublicKey, verify as cryptoVerify, type KeyObject} from 'node:crypto'
import * as packet from 'dns-packet'
import type {Answer} from 'dns-packet'
import {canonicalName} from './names.js'

/**
 * DNSSEC at the wire (RFC 4034, 4035, 5702, 6605, 8080): key tags, DS
 * digests and RRSIG verification over the canonical form of an RRset, on
 * node:crypto. mxcut does not validate chains of trust (validating resolvers
 * do, and it asks them); it checks that what an authoritative server serves
 * carries a signature that verifies with a key of the zone.
 */

export interface DnskeyData {
  flags: number
  algorithm: number
  key: Buffer
}

export interface RrsigData {
  typeCovered: string
  algorithm: number
  labels: number
  originalTTL: number
  /** Seconds since the epoch (RFC 4034 §3.1.5, serial arithmetic for dates past 2106 not needed here). */
  expiration: number
  inception: number
  keyTag: number
  signersName: string
  signature: Buffer
}

export interface DsData {
  keyTag: number
  algorithm: number
  digestType: number
  digest: Buffer
}

/** dns-packet's per-type codecs, which its type declarations leave out. */
interface Codec<T> {
  encode(data: T, buf?: Buffer, offset?: number): Buffer
}
const wire = packet as unknown as {record(type: string): Codec<unknown>; name: Codec<string>; dnskey: Codec<DnskeyData>}

/** The algorithms mxcut can verify, by number (IANA "DNS Security Algorithm Numbers"). */
export const ALGORITHMS: Record<number, string> = {
  5: 'RSASHA1',
  7: 'RSASHA1-NSEC3-SHA1',
  8: 'RSASHA256',
  10: 'RSASHA512',
  13: 'ECDSAP256SHA256',
  14: 'ECDSAP384SHA384',
  15: 'ED25519',
  16: 'ED448',
}

/** RFC 4034 Appendix B: the key tag of a DNSKEY (algorithm 1 is not supported and never deployed today). */
export function keyTag(key: DnskeyData): number {
  const rdata = dnskeyRdata(key)
  let ac = 0
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i] : rdata[i] << 8
  ac += (ac >> 16) & 0xffff
  return ac & 0xffff
}

function dnskeyRdata(key: DnskeyData): Buffer {
  return wire.dnskey.encode({flags: key.flags, algorithm: key.algorithm, key: key.key}).subarray(2)
}

/** The owner name in canonical wire form: lower case, uncompressed (RFC 4034 §6.2). */
function nameWire(name: string): Buffer {
  return wire.name.encode(canonicalName(name) === '.' ? '.' : canonicalName(name))
}

const DIGESTS: Record<number, string> = {1: 'sha1', 2: 'sha256', 4: 'sha384'}

/** RFC 4034 §5.1.4: digest = hash(owner name | DNSKEY RDATA). Null when the digest type is unknown. */
export function dsDigest(owner: string, key: DnskeyData, digestType: number): Buffer | null {
  const hash = DIGESTS[digestType]
  if (!hash) return null
  return createHash(hash).update(Buffer.concat([nameWire(owner), dnskeyRdata(key)])).digest()
}

/** Whether a DS record at the parent designates this DNSKEY. */
export function dsMatches(owner: string, ds: DsData, key: DnskeyData): boolean {
  if (ds.algorithm !== key.algorithm || ds.keyTag !== keyTag(key)) return false
  const digest = dsDigest(owner, key, ds.digestType)
  return digest !== null && digest.equals(Buffer.from(ds.digest))
}

/** Types whose RDATA names are lower-cased in the canonical form (RFC 4034 §6.2, RFC 6840 §5.1). */
function canonicalData(type: string, data: unknown): unknown {
  const lower = (n: unknown) => (typeof n === 'string' ? n.toLowerCase() : n)
  const d = data as Record<string, unknown>
  switch (type) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'DNAME':
      return lower(data)
    case 'MX':
      return {...d, exchange: lower(d.exchange)}
    case 'SOA':
      return {...d, mname: lower(d.mname), rname: lower(d.rname)}
    case 'SRV':
      return {...d, target: lower(d.target)}
    case 'RRSIG':
      return {...d, signersName: lower(d.signersName)}
    default:
      return data
  }
}

/** The RDATA of one record in canonical form, without its length prefix. */
export function canonicalRdata(type: string, data: unknown): Buffer {
  return Buffer.from(wire.record(type).encode(canonicalData(type, data)).subarray(2))
}

function rrsigRdataWithoutSignature(sig: RrsigData): Buffer {
  const head = Buffer.alloc(18)
  head.writeUInt16BE(typeNumber(sig.typeCovered), 0)
  head.writeUInt8(sig.algorithm, 2)
  head.writeUInt8(sig.labels, 3)
  head.writeUInt32BE(sig.originalTTL >>> 0, 4)
  head.writeUInt32BE(sig.expiration >>> 0, 8)
  head.writeUInt32BE(sig.inception >>> 0, 12)
  head.writeUInt16BE(sig.keyTag, 16)
  return Buffer.concat([head, nameWire(sig.signersName)])
}

/** The number of a type name, by dns-packet's own table (UNKNOWN_n included): the last four octets of a one-question query are its type and class. */
function typeNumber(type: string): number {
  const encoded = packet.encode({type: 'query', id: 0, flags: 0, questions: [{type: type as never, name: '.', class: 'IN'}]})
  return encoded.readUInt16BE(encoded.length - 4)
}

/** RFC 4035 §5.3.2: the owner name as signed, a wildcard when the RRSIG has fewer labels than the name. */
function signedOwner(owner: string, labels: number): string {
  const parts = canonicalName(owner).split('.').filter(Boolean)
  if (labels >= parts.length) return canonicalName(owner)
  return ['*', ...parts.slice(parts.length - labels)].join('.')
}

/** The data an RRSIG signs: its own RDATA (signature left out), then each RR of the set in canonical order. */
export function signedData(owner: string, type: string, records: readonly unknown[], sig: RrsigData): Buffer {
  const ownerWire = nameWire(signedOwner(owner, sig.labels))
  const tail = Buffer.alloc(8)
  tail.writeUInt16BE(typeNumber(type), 0)
  tail.writeUInt16BE(1, 2) // class IN
  tail.writeUInt32BE(sig.originalTTL >>> 0, 4)
  const rdatas = records.map((r) => canonicalRdata(type, r)).sort(Buffer.compare)
  const unique = rdatas.filter((r, i) => i === 0 || !r.equals(rdatas[i - 1]))
  const rrs = unique.map((rdata) => {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(rdata.length)
    return Buffer.concat([ownerWire, tail, len, rdata])
  })
  return Buffer.concat([rrsigRdataWithoutSignature(sig), ...rrs])
}

const b64url = (b: Buffer) => b.toString('base64url')

/** The public key of a DNSKEY as node:crypto takes it, or null for an algorithm mxcut cannot verify. */
export function publicKey(key: DnskeyData): KeyObject | null {
  const k = Buffer.from(key.key)
  try {
    switch (key.algorithm) {
      case 5:
      case 7:
      case 8:
      case 10: {
        // RFC 3110 §2: exponent length in one octet, or zero then two octets.
        const long = k[0] === 0
        const expLen = long ? k.readUInt16BE(1) : k[0]
        const start = long ? 3 : 1
        const e = k.subarray(start, start + expLen)
        const n = k.subarray(start + expLen)
        return createPublicKey({key: {kty: 'RSA', n: b64url(n), e: b64url(e)}, format: 'jwk'})
      }
      case 13:
      case 14: {
        const half = k.length / 2
        return createPublicKey({key: {kty: 'EC', crv: key.algorithm === 13 ? 'P-256' : 'P-384', x: b64url(k.subarray(0, half)), y: b64url(k.subarray(half))}, format: 'jwk'})
      }
      case 15:
      case 16:
        return createPublicKey({key: {kty: 'OKP', crv: key.algorithm === 15 ? 'Ed25519' : 'Ed448', x: b64url(k)}, format: 'jwk'})
      default:
        return null
    }
  } catch {
    return null
  }
}

const HASHES: Record<number, string | null> = {5: 'sha1', 7: 'sha1', 8: 'sha256', 10: 'sha512', 13: 'sha256', 14: 'sha384', 15: null, 16: null}

/** Verifies an RRSIG over an RRset with one DNSKEY: the cryptography only, not the validity period. */
export function verifyRrsig(owner: string, type: string, records: readonly unknown[], sig: RrsigData, key: DnskeyData): boolean {
  if (sig.algorithm !== key.algorithm || sig.keyTag !== keyTag(key) || canonicalName(sig.typeCovered) !== canonicalName(type)) return false
  const pub = publicKey(key)
  const hash = HASHES[sig.algorithm]
  if (!pub || hash === undefined) return false
  const data = signedData(owner, type, records, sig)
  try {
    if (sig.algorithm === 13 || sig.algorithm === 14) return cryptoVerify(hash, data, {key: pub, dsaEncoding: 'ieee-p1363'}, Buffer.from(sig.signature))
    return cryptoVerify(hash, data, pub, Buffer.from(sig.signature))
  } catch {
    return false
  }
}

/** Where an RRSIG stands at a time (seconds since the epoch). */
export function rrsigPeriod(sig: RrsigData, nowSeconds: number): 'valid' | 'expired' | 'not-yet-valid' {
  if (nowSeconds > sig.expiration) return 'expired'
  if (nowSeconds < sig.inception) return 'not-yet-valid'
  return 'valid'
}

/** The records of one name and type in a list of raw answers, and the RRSIGs covering them. */
export function rrsetWithSignatures(answers: readonly Answer[], name: string, type: string): {records: unknown[]; sigs: RrsigData[]; ttl: number | null} {
  const own = answers.filter((a) => a.type !== 'OPT' && canonicalName(a.name) === canonicalName(name)) as Array<Answer & {data: unknown}>
  const records = own.filter((a) => a.type === type).map((a) => a.data)
  const sigs = own.filter((a) => a.type === 'RRSIG' && (a.data as RrsigData).typeCovered === type).map((a) => a.data as RrsigData)
  const ttls = own.filter((a) => a.type === type).map((a) => (a as {ttl?: number}).ttl ?? 0)
  return {records, sigs, ttl: ttls.length ? Math.min(...ttls) : null}
}
