import {randomInt} from 'node:crypto'
import {setMaxListeners} from 'node:events'
import * as packet from 'dns-packet'
import type {Answer, DecodedPacket, Packet, RecordType} from 'dns-packet'
import pLimit from 'p-limit'
import {LoopbackOnlyError} from '../lib/loopback-guard.js'
import {errorMessage} from '../lib/errors.js'
import {canonicalName} from './names.js'
import {fromAnswer, type Rr} from './records.js'
import {dohExchange} from './doh.js'
import type {DnsServer, ServerSpec} from './server.js'
import {tcpExchange as transportTcp} from './transport.js'
import {pooledUdpExchange} from './udp-pool.js'
import {DnsTimeout} from './timeout.js'

/**
 * How a query ended. DNS outcomes are values, not exceptions: an audit wants
 * to report "SERVFAIL from ns2" rather than stop at the first one.
 */
export type QueryStatus =
  | 'ok' // NOERROR with answers
  | 'nodata' // NOERROR, name exists, no RRset of that type
  | 'nxdomain'
  | 'servfail'
  | 'refused'
  | 'timeout'
  | 'error' // other rcodes, network errors, malformed or mismatched answers

export interface QueryResult {
  server: ServerSpec
  name: string
  type: string
  status: QueryStatus
  rcode?: string
  /** Authoritative Answer flag. */
  aa: boolean
  ra: boolean
  /** Authentic Data: a validating resolver vouches for the answer (RFC 4035 §3.2.3). Absent: not set. */
  ad?: boolean
  /** The answer and authority sections as decoded, signatures included; set when the query asked for DNSSEC records. */
  raw?: {answers: Answer[]; authorities: Answer[]}
  answers: Rr[]
  authorities: Rr[]
  additionals: Rr[]
  transport: 'udp' | 'tcp' | 'doh'
  rttMs: number
  error?: string
}

export interface QueryOptions {
  /** Set RD; false for questions to authoritative servers. Default true. */
  recursion?: boolean
  /** Per attempt. Default 2000 ms. */
  timeoutMs?: number
  /** Extra attempts after a timeout. Default 1. */
  retries?: number
  /** 'fallback' retries over TCP on truncation (default); 'only' never uses UDP. */
  tcp?: 'fallback' | 'only'
  /** Advertised EDNS0 UDP payload size; 0 disables EDNS. Default 1232 (DNS flag day 2020). */
  ednsPayload?: number
  /** Set the DO bit: ask for RRSIG, NSEC and the AD flag (RFC 3225). The raw records come back in `raw`. */
  dnssec?: boolean
  /** Set CD: a validating resolver answers without validating (how a bogus answer is told from a broken one). */
  checkingDisabled?: boolean
  signal?: AbortSignal
}

export interface DnsClient {
  query(server: ServerSpec, name: string, type: RecordType, options?: QueryOptions): Promise<QueryResult>
}

export interface DnsClientOptions {
  /** Queries in flight at once across all servers. Default 64. */
  concurrency?: number
  timeoutMs?: number
  retries?: number
}

const DEFAULT_TIMEOUT_MS = 2000

export function createDnsClient(defaults: DnsClientOptions = {}): DnsClient {
  const limit = pLimit(defaults.concurrency ?? 64)
  return {
    query(server, name, type, options = {}) {
      const merged: QueryOptions = {
        timeoutMs: defaults.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        retries: defaults.retries ?? 1,
        ...options,
      }
      return limit(() => query(server, name, type, merged))
    },
  }
}

/** One question to one server, with retries and TCP fallback. Never throws for DNS or network trouble. */
export async function query(
  server: ServerSpec,
  name: string,
  type: RecordType,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const qname = canonicalName(name)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const attempts = 1 + Math.max(0, options.retries ?? 1)
  const started = performance.now()
  const base = {server, name: qname, type, aa: false, ra: false, answers: [], authorities: [], additionals: []}

  // UDP (src/dns/udp-pool.ts) and TCP (src/dns/transport.ts) check the loopback guard themselves.
  // One signal often cancels dozens of queries in flight (a verify round), each listening
  // for the abort until it ends; Node would warn of a leak past ten listeners.
  if (options.signal) setMaxListeners(0, options.signal)

  let lastError = 'no answer'
  let transport: QueryResult['transport'] = server.kind === 'doh' ? 'doh' : options.tcp === 'only' ? 'tcp' : 'udp'
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (options.signal?.aborted) break
    const request = buildQuery(qname, type, options)
    try {
      let response: DecodedPacket
      if (server.kind === 'doh') {
        response = await dohExchange(server, request, timeoutMs, options.signal)
      } else if (transport === 'tcp') {
        response = await tcpExchange(server, request, timeoutMs, options.signal)
      } else {
        response = await udpExchange(server, request, timeoutMs, options.signal)
        if (response.flag_tc) {
          transport = 'tcp'
          response = await tcpExchange(server, buildQuery(qname, type, options), timeoutMs, options.signal)
        }
      }
      return {...toResult(base, response, type, options.dnssec === true), transport, rttMs: performance.now() - started}
    } catch (err) {
      if (err instanceof LoopbackOnlyError) throw err
      if (err instanceof DnsTimeout) {
        lastError = `no answer within ${timeoutMs} ms`
        continue
      }
      // A refused connection or unreachable network will not improve on retry within this call.
      return {...base, status: 'error', transport, rttMs: performance.now() - started, error: errorMessage(err)}
    }
  }
  return {...base, status: 'timeout', transport, rttMs: performance.now() - started, error: lastError}
}

function buildQuery(name: string, type: RecordType, options: QueryOptions): Packet {
  const payload = options.ednsPayload ?? 1232
  return {
    type: 'query',
    // RFC 5452: an unpredictable ID (over UDP the socket pool gives one unique on its socket, on a random source port).
    id: randomInt(0, 65536),
    flags: (options.recursion === false ? 0 : packet.RECURSION_DESIRED) | (options.checkingDisabled ? packet.CHECKING_DISABLED : 0),
    questions: [{type, name, class: 'IN'}],
    additionals:
      payload > 0
        ? [{type: 'OPT', name: '.', udpPayloadSize: payload, extendedRcode: 0, ednsVersion: 0, flags: options.dnssec ? packet.DNSSEC_OK : 0, flag_do: options.dnssec === true, options: []}]
        : [],
  }
}

function toResult(
  base: Pick<QueryResult, 'server' | 'name' | 'type'>,
  response: DecodedPacket,
  type: string,
  keepRaw = false,
): Omit<QueryResult, 'transport' | 'rttMs'> {
  const rcode = (response as DecodedPacket & {rcode?: string}).rcode ?? 'NOERROR'
  const convert = (list: DecodedPacket['answers']) =>
    (list ?? []).map((a) => fromAnswer(a)).filter((r): r is Rr => r !== null)
  const answers = convert(response.answers)
  let status: QueryStatus
  switch (rcode) {
    case 'NOERROR':
      status = answers.length > 0 ? 'ok' : 'nodata'
      break
    case 'NXDOMAIN':
      status = 'nxdomain'
      break
    case 'SERVFAIL':
      status = 'servfail'
      break
    case 'REFUSED':
      status = 'refused'
      break
    default:
      status = 'error'
  }
  return {
    ...base,
    type,
    status,
    rcode,
    aa: response.flag_aa,
    ra: response.flag_ra,
    ad: response.flag_ad === true,
    ...(keepRaw ? {raw: {answers: response.answers ?? [], authorities: response.authorities ?? []}} : {}),
    answers,
    authorities: convert(response.authorities),
    additionals: convert(response.additionals),
    ...(status === 'error' ? {error: `server answered ${rcode}`} : {}),
  }
}

/**
 * Accepts a response only if it answers our question (RFC 5452 §9.1): same ID,
 * QR set, same question name (case-insensitively), type and class.
 */
export function matchesQuery(request: Packet, response: DecodedPacket): boolean {
  if (response.id !== request.id || !response.flag_qr) return false
  const q = request.questions?.[0]
  const r = response.questions?.[0]
  if (!q) return false
  // FORMERR/NOTIMP answers may legitimately omit the question.
  if (!r) return (response.questions ?? []).length === 0 && (response.answers ?? []).length === 0
  return canonicalName(r.name) === canonicalName(q.name) && r.type === q.type
}

function decodeOrNull(buf: Buffer): DecodedPacket | null {
  try {
    return packet.decode(buf)
  } catch {
    return null
  }
}

/** Decodes the first reply that answers our question (RFC 5452); others are ignored. */
function answerTo(request: Packet, transportName: string): {accept: (msg: Buffer) => boolean; response: () => DecodedPacket} {
  let found: DecodedPacket | null = null
  return {
    accept(msg) {
      const response = decodeOrNull(msg)
      // A malformed message on a TCP connection means the stream cannot be trusted any more.
      if (!response && transportName === 'tcp') throw new Error('malformed DNS message over TCP')
      if (response && matchesQuery(request, response)) found = response
      return found !== null
    },
    response: () => found as DecodedPacket,
  }
}

/** UDP over the pooled sockets (src/dns/udp-pool.ts): the pool picks the ID, unique on its socket. */
async function udpExchange(server: DnsServer, request: Packet, timeoutMs: number, signal?: AbortSignal): Promise<DecodedPacket> {
  let answer: ReturnType<typeof answerTo> | null = null
  await pooledUdpExchange(
    server,
    (id) => {
      // The request is built for this attempt alone: take the pool's ID in place.
      request.id = id
      answer = answerTo(request, 'udp')
      return packet.encode(request)
    },
    {timeoutMs, signal, accept: (msg) => answer !== null && answer.accept(msg)},
  )
  return (answer as ReturnType<typeof answerTo> | null)!.response()
}

async function tcpExchange(server: DnsServer, request: Packet, timeoutMs: number, signal?: AbortSignal): Promise<DecodedPacket> {
  const answer = answerTo(request, 'tcp')
  await transportTcp(server, packet.encode(request), {timeoutMs, signal, accept: answer.accept})
  return answer.response()
}
