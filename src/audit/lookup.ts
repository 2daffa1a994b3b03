import type {RecordType} from 'dns-packet'
import type {DnsClient, QueryStatus} from '../dns/client.js'
import {queryWithTcpFallback} from '../dns/fallback.js'
import {canonicalName, isInZone} from '../dns/names.js'
import type {Rr} from '../dns/records.js'
import {serverLabel, type ServerSpec} from '../dns/server.js'
import type {AuthServer} from '../zone/discover.js'
import {askFirst} from '../zone/discover.js'

/** One answer to one question, and who gave it. */
export interface Lookup {
  name: string
  type: string
  status: QueryStatus | 'not-looked-up'
  answers: Rr[]
  from: string
  error?: string
}

export type LookupFn = (name: string, type: RecordType) => Promise<Lookup>

/**
 * Answers shared by the audits of one run: names outside the audited zones
 * (a provider's SPF include, its MX hosts) are asked once, not once per domain.
 */
export type LookupCache = Map<string, Promise<Lookup>>

export interface LookupOptions {
  client: DnsClient
  zone: string
  /** Reachable authoritative servers of the zone: in-zone names are read from them, RD=0. */
  authoritative: readonly AuthServer[]
  resolvers: readonly ServerSpec[]
  timeoutMs: number
  cache?: LookupCache
}

const usable = (s: QueryStatus) => s === 'ok' || s === 'nodata' || s === 'nxdomain'

/**
 * In-zone names come from the zone's own servers (what the world will see
 * once caches expire); anything else from the configured resolvers, never the
 * operating system's resolver.
 */
export function createLookup(options: LookupOptions): LookupFn {
  const cache = options.cache ?? new Map<string, Promise<Lookup>>()
  const local = new Map<string, Promise<Lookup>>()

  async function fromResolvers(name: string, type: RecordType): Promise<Lookup> {
    if (options.resolvers.length === 0) return {name, type, status: 'not-looked-up', answers: [], from: 'no resolver given'}
    const r = await askFirst(options.client, options.resolvers, name, type, {timeoutMs: options.timeoutMs})
    return {name, type, status: r.status, answers: r.answers, from: serverLabel(r.server), ...(r.error ? {error: r.error} : {})}
  }

  async function fromZone(name: string, type: RecordType): Promise<Lookup> {
    let last: Lookup | undefined
    for (const server of options.authoritative) {
      const r = await queryWithTcpFallback(options.client, server, name, type, {recursion: false, timeoutMs: options.timeoutMs})
      const lookup: Lookup = {name, type, status: r.status, answers: r.answers, from: serverLabel(server), ...(r.error ? {error: r.error} : {})}
      // A referral (not AA) means the name is delegated further down: a resolver knows better.
      if (usable(r.status) && !r.aa) return fromResolvers(name, type)
      if (usable(r.status)) return lookup
      last = lookup
    }
    return last ?? fromResolvers(name, type)
  }

  return (rawName, type) => {
    const name = canonicalName(rawName)
    const key = `${name} ${type}`
    const inZone = isInZone(name, options.zone) && options.authoritative.length > 0
    const store = inZone ? local : cache
    let hit = store.get(key)
    if (!hit) {
      hit = inZone ? fromZone(name, type) : fromResolvers(name, type)
      store.set(key, hit)
    }
    return hit
  }
}

export interface HostAddresses {
  name: string
  status: QueryStatus | 'not-looked-up'
  /** The first alias in the chain, when the name is a CNAME. */
  cname: string | null
  addresses: string[]
  from: string
  error?: string
}

/** A and AAAA of a host, following a CNAME chain (at most 8 links) wherever it leads. */
export async function resolveHost(lookup: LookupFn, host: string): Promise<HostAddresses> {
  const name = canonicalName(host)
  let firstCname: string | null = null
  let current = name
  for (let hop = 0; hop < 8; hop++) {
    const [a, aaaa] = await Promise.all([lookup(current, 'A'), lookup(current, 'AAAA')])
    const addresses = [...a.answers, ...aaaa.answers].filter((x) => (x.type === 'A' || x.type === 'AAAA') && typeof x.data === 'string').map((x) => x.data as string)
    const cname = a.answers.find((x) => x.type === 'CNAME' && x.name === current)
    if (cname && firstCname === null) firstCname = cname.data as string
    if (addresses.length > 0) return {name, status: 'ok', cname: firstCname, addresses: [...new Set(addresses)], from: a.from}
    if (!cname) {
      // NODATA for A with a failed AAAA question means "could not tell", not "no address".
      const status = a.status === 'nodata' && !isDefinite(aaaa.status) ? aaaa.status : a.status
      return {name, status, cname: firstCname, addresses: [], from: a.from, ...(a.error ? {error: a.error} : {})}
    }
    // A resolver gives the whole chain at once; an authoritative server only its own link.
    current = cname.data as string
  }
  return {name, status: 'error', cname: firstCname, addresses: [], from: 'CNAME chain', error: 'CNAME chain longer than 8'}
}

export function describeStatus(l: {status: string; from: string; error?: string}): string {
  switch (l.status) {
    case 'nxdomain':
      return `does not exist (NXDOMAIN from ${l.from})`
    case 'nodata':
      return `exists but has no address (NODATA from ${l.from})`
    case 'servfail':
      return `could not be resolved (SERVFAIL from ${l.from})`
    case 'refused':
      return `could not be resolved (REFUSED by ${l.from})`
    case 'timeout':
      return `could not be resolved (no answer from ${l.from})`
    case 'not-looked-up':
      return 'was not looked up (no resolver given: add --resolver)'
    default:
      return `could not be resolved (${l.error ?? l.status} from ${l.from})`
  }
}

/** The status means the answer is known (it exists or it does not), not that asking failed. */
export function isDefinite(status: string): boolean {
  return status === 'ok' || status === 'nodata' || status === 'nxdomain'
}
