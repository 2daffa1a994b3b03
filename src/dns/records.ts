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

/** The data of one record as mxcut compares and stores it (TXT joined, names canonical). */
export type RecordData = string | MxData | SoaData | TlsaData

/** One resource record in the form mxcut compares: names canonical, TXT joined. */
export type Rr =
  | {name: string; type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR' | 'DNAME'; ttl: number; data: string}
  | {name: string; type: 'MX'; ttl: number; data: MxData}
  | {name: string; type: 'TXT'; ttl: number; data: string}
  | {name: string; type: 'SOA'; ttl: number; data: SoaData}
  | {name: string; type: 'TLSA'; ttl: number; data: TlsaData}
  | {name: string; type: string; ttl: number; data: unknown}

function txtToString(data: unknown): string {
  // RFC 7208 §3.3: the character-strings of one TXT record are concatenated without spaces.
  const parts = Array.isArray(data) ? data : [data]
  return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('')
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
      return {name, type: 'TXT', ttl, data: txtToString(a.data)}
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
      return JSON.stringify(rr.data as string)
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
