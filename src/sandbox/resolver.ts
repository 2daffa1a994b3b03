import * as packet from 'dns-packet'
import type {Answer, DecodedPacket, Packet, RecordType} from 'dns-packet'
import {query, type QueryResult} from '../dns/client.js'
import {canonicalName} from '../dns/names.js'
import {txtFromWire, type Rr, type SoaData} from '../dns/records.js'
import type {DnsServer} from '../dns/server.js'
import {rdataKeys, type RecordData} from '../zone/rrset.js'
import type {Clock} from './clock.js'
import {listenDns, type Listener} from './listen.js'
import {decodeOrNull, OPCODE, rawResponse, RCODE, readHeader} from './wire.js'
import {inZone, toAnswer} from './zone.js'

/** How one sandbox resolver departs from a well-behaved cache, to rehearse what public resolvers do. */
export interface ResolverBehaviour {
  /** Raises every TTL below this (Unbound's cache-min-ttl): old data outlives the published TTL. */
  minTtl?: number
  /** Caps every TTL above this (cache-max-ttl). */
  maxTtl?: number
  /** Real milliseconds before each answer leaves (a distant or overloaded resolver). */
  delayMs?: number
  /** Drops every Nth query that arrives over UDP (a lossy path); TCP is never dropped. */
  dropEvery?: number
  /** Which authoritative server to ask: rotate over them (default), or always the one at this index. */
  prefer?: 'rotate' | number
}

export interface ResolverOptions {
  name: string
  clock: Clock
  /** Servers authoritative for each zone, asked directly (as Unbound's stub-zone does). */
  upstreams: Array<{zone: string; servers: DnsServer[]}>
  behaviour?: ResolverBehaviour
  /** Per attempt, towards the authoritative servers (real milliseconds). */
  upstreamTimeoutMs?: number
  address?: string
}

interface CacheEntry {
  storedAt: number
  /** Seconds, after clamping. */
  ttl: number
  rcode: 'NOERROR' | 'NXDOMAIN'
  answers: Rr[]
  /** The SOA of a negative answer. */
  soa: Rr | null
  from: string
}

/** An answer handed to a client, for the rehearsal's convergence report. */
export interface Served {
  at: number
  name: string
  type: string
  rcode: string
  /** Sorted presentation forms of the answer records of the asked type. */
  data: string[]
  ttl: number | null
}

export interface ResolverStats {
  received: number
  dropped: number
  hits: number
  misses: number
  upstream: Record<string, number>
}

export interface SandboxResolver {
  server: DnsServer
  name: string
  behaviour: ResolverBehaviour
  stats: ResolverStats
  /** Every answer given, oldest first. */
  served: Served[]
  /** The cached RRset of (name, type) with its remaining TTL, or null when absent or expired. */
  cached(name: string, type: string): {remaining: number; rcode: string; records: RecordData[]} | null
  flush(): void
  close(): Promise<void>
}

const MAX_CNAME_HOPS = 8

/** What one sandbox resolver holds while it runs. */
interface ResolverState {
  readonly options: ResolverOptions
  readonly behaviour: ResolverBehaviour
  readonly cache: Map<string, CacheEntry>
  readonly stats: ResolverStats
  readonly served: Served[]
  /** Where the next rotation over a zone's servers starts. */
  rotation: number
  /** Queries seen over UDP, for dropEvery. */
  udpCount: number
}

type Resolution = {rcode: string; answers: Answer[]; authorities: Answer[]}

export async function startResolver(options: ResolverOptions): Promise<SandboxResolver> {
  const state: ResolverState = {
    options,
    behaviour: options.behaviour ?? {},
    cache: new Map<string, CacheEntry>(),
    stats: {received: 0, dropped: 0, hits: 0, misses: 0, upstream: {}},
    served: [],
    rotation: 0,
    udpCount: 0,
  }
  const listener: Listener = await listenDns(options.name, (raw, transport) => respond(state, raw, transport), {address: options.address})
  return {
    server: listener.server,
    name: options.name,
    behaviour: state.behaviour,
    stats: state.stats,
    served: state.served,
    cached(name, type) {
      const e = fresh(state, `${canonicalName(name)} ${type}`)
      if (!e) return null
      return {remaining: remaining(state, e), rcode: e.rcode, records: e.answers.filter((a) => a.type === type).map((a) => a.data as RecordData)}
    },
    flush: () => state.cache.clear(),
    close: () => listener.close(),
  }
}

async function respond(state: ResolverState, raw: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
  let header: ReturnType<typeof readHeader>
  try {
    header = readHeader(raw)
  } catch {
    return null
  }
  if (header.qr) return null
  state.stats.received++
  if (dropped(state, transport)) return null
  const request: DecodedPacket | null = decodeOrNull(raw)
  if (!request) return rawResponse(raw, header.opcode, RCODE.FORMERR)
  if (header.opcode !== OPCODE.QUERY) return rawResponse(raw, header.opcode, RCODE.NOTIMP)
  const q = request.questions?.[0]
  if (!q || (request.questions ?? []).length !== 1) return rawResponse(raw, header.opcode, RCODE.FORMERR)
  const result = request.flag_rd
    ? await resolve(state, q.name, q.type)
    : // RD=0 to a resolver: answer only from cache, as Unbound does for cache snooping.
      cacheOnly(state, q.name, q.type)
  recordServed(state, q, result)
  const out = encodeResponse(request, result, transport)
  const delayMs = state.behaviour.delayMs
  if (delayMs && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
  return out
}

/** Whether this query is one that dropEvery loses. */
function dropped(state: ResolverState, transport: 'udp' | 'tcp'): boolean {
  const dropEvery = state.behaviour.dropEvery
  if (transport !== 'udp' || !dropEvery || dropEvery <= 0) return false
  state.udpCount++
  if (state.udpCount % dropEvery !== 0) return false
  state.stats.dropped++
  return true
}

function recordServed(state: ResolverState, q: {name: string; type: string}, result: Resolution): void {
  const qname = canonicalName(q.name)
  const own = result.answers.filter((a) => canonicalName(a.name) === qname && a.type === q.type) as Array<Answer & {data: unknown; ttl?: number}>
  state.served.push({
    at: state.options.clock.now(),
    name: qname,
    type: q.type,
    rcode: result.rcode,
    data: own.length > 0 ? rdataKeys({type: q.type, records: own.map((a) => toRecordData(a))}) : [],
    ttl: own.length > 0 ? Math.min(...own.map((a) => a.ttl ?? 0)) : null,
  })
}

function encodeResponse(request: DecodedPacket, result: Resolution, transport: 'udp' | 'tcp'): Buffer {
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT') as {udpPayloadSize?: number} | undefined
  const base: Packet = {
    type: 'response',
    id: request.id,
    flags: (request.flag_rd ? packet.RECURSION_DESIRED : 0) | packet.RECURSION_AVAILABLE | (RCODE[result.rcode as keyof typeof RCODE] ?? RCODE.SERVFAIL),
    questions: request.questions,
    answers: result.answers,
    authorities: result.authorities,
    additionals: opt ? [{type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: []}] : [],
  }
  const out = packet.encode(base)
  const limit = transport === 'tcp' ? 65535 : Math.max(512, opt?.udpPayloadSize ?? 512)
  if (out.length <= limit) return out
  return packet.encode({...base, answers: [], authorities: [], flags: (base.flags ?? 0) | packet.TRUNCATED_RESPONSE})
}

/** Resolves one question through the cache, following CNAMEs across zones. */
async function resolve(state: ResolverState, name: string, type: string): Promise<Resolution> {
  const answers: Answer[] = []
  let current = canonicalName(name)
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const key = `${current} ${type}`
    let entry = fresh(state, key)
    if (entry) state.stats.hits++
    else {
      state.stats.misses++
      entry = await fetchUpstream(state, current, type)
    }
    if (!entry) return {rcode: 'SERVFAIL', answers, authorities: []}
    const left = Math.max(0, remaining(state, entry))
    for (const rr of entry.answers) answers.push(toAnswer(rr, rr.data as RecordData, Math.min(left, clamp(state.behaviour, rr.ttl))))
    if (entry.rcode === 'NXDOMAIN' || entry.answers.length === 0) {
      const authorities = entry.soa ? [toAnswer(entry.soa, entry.soa.data as RecordData, left)] : []
      return {rcode: entry.rcode, answers, authorities}
    }
    const hasType = entry.answers.some((a) => a.type === type && a.name === current)
    const alias = [...entry.answers].reverse().find((a) => a.type === 'CNAME')
    if (hasType || type === 'CNAME' || !alias) return {rcode: 'NOERROR', answers, authorities: []}
    // The chain ended at a name the zone's servers are not authoritative for: chase it.
    const target = canonicalName(alias.data as string)
    if (entry.answers.some((a) => a.name === target)) return {rcode: 'NOERROR', answers, authorities: []}
    current = target
  }
  return {rcode: 'SERVFAIL', answers: [], authorities: []}
}

function cacheOnly(state: ResolverState, name: string, type: string): Resolution {
  const entry = fresh(state, `${canonicalName(name)} ${type}`)
  if (!entry) return {rcode: 'NOERROR', answers: [], authorities: []}
  const left = remaining(state, entry)
  return {
    rcode: entry.rcode,
    answers: entry.answers.map((rr) => toAnswer(rr, rr.data as RecordData, left)),
    authorities: entry.soa ? [toAnswer(entry.soa, entry.soa.data as RecordData, left)] : [],
  }
}

/** Asks the zone's servers in turn; caches the first usable answer (RFC 2308 for negative ones). */
async function fetchUpstream(state: ResolverState, name: string, type: string): Promise<CacheEntry | null> {
  for (const server of serversFor(state, name)) {
    state.stats.upstream[server.name] = (state.stats.upstream[server.name] ?? 0) + 1
    const r: QueryResult = await query(server, name, type as RecordType, {
      recursion: false,
      timeoutMs: state.options.upstreamTimeoutMs ?? 1000,
      retries: 0,
    })
    if (!r.aa || !['ok', 'nodata', 'nxdomain'].includes(r.status)) continue
    let ttl: number
    let soa: Rr | null = null
    if (r.status === 'ok') {
      ttl = Math.min(...r.answers.map((a) => a.ttl))
    } else {
      soa = r.authorities.find((a) => a.type === 'SOA') ?? null
      // Without a SOA a negative answer must not be cached at all (RFC 2308 §5).
      ttl = soa ? Math.min(soa.ttl, (soa.data as SoaData).minimum) : 0
    }
    const entry: CacheEntry = {
      storedAt: state.options.clock.now(),
      ttl: clamp(state.behaviour, ttl),
      rcode: r.status === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR',
      answers: r.answers,
      soa,
      from: server.name,
    }
    if (entry.ttl > 0) state.cache.set(`${canonicalName(name)} ${type}`, entry)
    return entry
  }
  return null
}

function serversFor(state: ResolverState, name: string): DnsServer[] {
  const depth = (z: string) => (canonicalName(z) === '.' ? 0 : z.length)
  const match = state.options.upstreams
    .filter((u) => inZone(name, u.zone))
    .sort((a, b) => depth(canonicalName(b.zone)) - depth(canonicalName(a.zone)))[0]
  if (!match || match.servers.length === 0) return []
  const servers = match.servers
  const prefer = state.behaviour.prefer
  if (typeof prefer === 'number') {
    const first = servers[prefer % servers.length]
    return [first, ...servers.filter((s) => s !== first)]
  }
  const start = state.rotation++ % servers.length
  return [...servers.slice(start), ...servers.slice(0, start)]
}

function clamp(behaviour: ResolverBehaviour, ttl: number): number {
  let t = ttl
  if (behaviour.minTtl !== undefined) t = Math.max(t, behaviour.minTtl)
  if (behaviour.maxTtl !== undefined) t = Math.min(t, behaviour.maxTtl)
  return t
}

/** Seconds an entry has left; zero or less once expired. */
function remaining(state: ResolverState, e: CacheEntry): number {
  return e.ttl - Math.floor((state.options.clock.now() - e.storedAt) / 1000)
}

/** The entry under key while it lives; an expired one is dropped. */
function fresh(state: ResolverState, key: string): CacheEntry | null {
  const e = state.cache.get(key)
  if (!e) return null
  if (remaining(state, e) <= 0) {
    state.cache.delete(key)
    return null
  }
  return e
}

/** dns-packet's decoded answer data back into the form RRsets hold (TXT strings as served, names canonical). */
function toRecordData(a: Answer & {data: unknown}): RecordData {
  if (a.type === 'TXT') return txtFromWire(a.data)
  if (a.type === 'MX') {
    const d = a.data as {preference?: number; exchange: string}
    return {priority: d.preference ?? 0, exchange: canonicalName(d.exchange)}
  }
  return a.data as RecordData
}
