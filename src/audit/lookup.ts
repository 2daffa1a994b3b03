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

/** The longest CNAME chain followed: longer chains are an error, as resolvers make them (RFC 1034 §3.6.2 asks to signal loops). */
export const CNAME_CHAIN_LIMIT = 8

/** A question asked through its CNAME chain: the records at the end of it, and how it got there. */
export interface Followed extends Lookup {
  /** The names in the chain, the one asked first; more than one when the name is an alias. */
  chain: string[]
  /** Records of the type asked, at the end of the chain. */
  records: Rr[]
  /** The chain never ends: it loops, or runs past CNAME_CHAIN_LIMIT. */
  broken?: 'loop' | 'too-long'
}

/**
 * Asks for the name's records of one type, following CNAMEs (RFC 1034 §3.6.2)
 * as a receiver's resolver would. A resolver answers with the whole chain; an
 * authoritative server only with the links in its zone, so the rest is asked
 * again through the lookup (which sends names outside the zone to the
 * configured resolvers). A loop or an over-long chain ends it with `broken`.
 */
export async function followCname(lookup: LookupFn, rawName: string, type: RecordType): Promise<Followed> {
  const chain = [canonicalName(rawName)]
  for (;;) {
    const current = chain[chain.length - 1]
    const r = await lookup(current, type)
    if (!isDefinite(r.status)) return (await cnameLoop(lookup, chain, r)) ?? {...r, name: chain[0], chain, records: []}
    let at = current
    for (;;) {
      const records = r.answers.filter((a) => a.type === type && a.name === at)
      if (records.length > 0) return {...r, name: chain[0], status: 'ok', chain, records}
      const alias = r.answers.find((a) => a.type === 'CNAME' && a.name === at)
      if (!alias || type === 'CNAME') break
      const target = canonicalName(String(alias.data))
      if (chain.includes(target)) return {...r, name: chain[0], status: 'error', chain: [...chain, target], records: [], broken: 'loop', error: `CNAME loop ${[...chain, target].join(' → ')}`}
      chain.push(target)
      if (chain.length > CNAME_CHAIN_LIMIT + 1) return {...r, name: chain[0], status: 'error', chain, records: [], broken: 'too-long', error: `CNAME chain longer than ${CNAME_CHAIN_LIMIT}`}
      at = target
    }
    // The answer ends at the name last asked (NODATA or NXDOMAIN there), or at an alias whose target it does not hold.
    if (at === current) return {...r, name: chain[0], status: r.status === 'ok' ? 'nodata' : r.status, chain, records: []}
  }
}

/**
 * After a failed question: is the name the start of a CNAME loop? Servers
 * answer a loop with SERVFAIL (BIND with the links, Unbound with nothing),
 * so the links are asked one by one, as CNAME questions, which no server
 * chases. Null when they are not a loop (the failure stands as it is).
 */
async function cnameLoop(lookup: LookupFn, start: string[], failed: Lookup): Promise<Followed | null> {
  const chain = [...start]
  while (chain.length <= CNAME_CHAIN_LIMIT) {
    const r = await lookup(chain[chain.length - 1], 'CNAME')
    const alias = r.answers.find((a) => a.type === 'CNAME' && a.name === chain[chain.length - 1])
    if (!alias) return null
    const target = canonicalName(String(alias.data))
    const looped = chain.includes(target)
    chain.push(target)
    if (looped) return {...failed, name: chain[0], status: 'error', chain, records: [], broken: 'loop', error: `CNAME loop ${chain.join(' → ')}`}
  }
  return {...failed, name: chain[0], status: 'error', chain, records: [], broken: 'too-long', error: `CNAME chain longer than ${CNAME_CHAIN_LIMIT}`}
}

/** How a followed name is written in messages: "a.example (CNAME b.example)". */
export function describeChain(f: Pick<Followed, 'chain'>): string {
  return f.chain.length > 1 ? `${f.chain[0]} (alias of ${f.chain.slice(1).join(' → ')})` : f.chain[0]
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

/** A and AAAA of a host, following a CNAME chain (at most CNAME_CHAIN_LIMIT links, loops caught) wherever it leads. */
export async function resolveHost(lookup: LookupFn, host: string): Promise<HostAddresses> {
  const name = canonicalName(host)
  const [a, aaaa] = await Promise.all([followCname(lookup, name, 'A'), followCname(lookup, name, 'AAAA')])
  const cname = a.chain[1] ?? aaaa.chain[1] ?? null
  const addresses = [...new Set([...a.records, ...aaaa.records].map((x) => String(x.data)))]
  if (addresses.length > 0) return {name, status: 'ok', cname, addresses, from: a.records.length > 0 ? a.from : aaaa.from}
  if (a.broken) return {name, status: 'error', cname, addresses: [], from: 'CNAME chain', error: a.error}
  // NODATA for A with a failed AAAA question means "could not tell", not "no address".
  const status = a.status === 'nodata' && !isDefinite(aaaa.status) ? aaaa.status : a.status
  const failed = status === a.status ? a : aaaa
  return {name, status, cname, addresses: [], from: failed.from, ...(failed.error ? {error: failed.error} : {})}
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
    case 'error':
      if (l.error?.startsWith('CNAME')) return `is an alias that never ends (${l.error})`
      return `could not be resolved (${l.error ?? l.status} from ${l.from})`
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
