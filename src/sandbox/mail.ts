import {createDnsClient, type QueryResult} from '../dns/client.js'
import {canonicalName} from '../dns/names.js'
import type {MxData, SoaData} from '../dns/records.js'
import type {DnsServer} from '../dns/server.js'
import type {SimClock} from './clock.js'

/**
 * The mail-continuity check: one simulated sender behind each sandbox
 * resolver "delivers" a message every simulated minute to whichever MX host
 * its resolver returns, the way an MTA behind that resolver would. A host
 * that is not ready to accept mail for the domain at that moment (the target
 * before the domain is verified there, the source after it was switched off)
 * bounces the message: a correct plan shows none.
 */

export type HostRole = 'source' | 'target' | 'other'

export interface Readiness {
  role(exchange: string): HostRole
  /** Null when the host accepts mail for the domain at this time, else why it does not. */
  refuses(exchange: string, at: number): string | null
}

export interface Bounce {
  at: number
  sender: string
  exchange: string
  reason: string
}

export interface SenderReport {
  sender: string
  /** Messages per receiving host (exchange), accepted or not. */
  byHost: Record<string, number>
  /** Messages an MTA would have queued because its resolver did not answer (retried later, not lost). */
  deferred: number
  bounced: number
  /** Lookups the sender made (it keeps an answer for the TTL its resolver gave). */
  lookups: number
  /** When this sender first delivered to a target host. */
  firstToTarget: number | null
  /** When this sender last delivered to a source host. */
  lastToSource: number | null
}

export interface MailReport {
  intervalMs: number
  messages: number
  /** Messages per host over all senders. */
  byHost: Array<{exchange: string; role: HostRole; messages: number}>
  deferred: number
  bounced: number
  bounces: Bounce[]
  senders: SenderReport[]
}

export interface MailSenders {
  /** Stops after the current round and returns the counts. */
  stop(): Promise<MailReport>
}

interface CachedMx {
  expiresAt: number
  /** Sorted by priority; empty: the domain has no MX (RFC 5321 §5.1 implicit MX). */
  mx: MxData[]
  nxdomain: boolean
}

export interface SendersOptions {
  clock: SimClock
  domain: string
  resolvers: Array<{name: string; server: DnsServer}>
  readiness: Readiness
  /** Simulated time between messages of one sender. Default one minute. */
  intervalMs?: number
  /** Real milliseconds per lookup attempt. */
  timeoutMs?: number
}

export function startSenders(options: SendersOptions): MailSenders {
  const {clock, readiness} = options
  const domain = canonicalName(options.domain)
  const interval = options.intervalMs ?? 60_000
  const client = createDnsClient({timeoutMs: options.timeoutMs ?? 300, retries: 2})
  const actor = clock.actor('mail senders')
  const bounces: Bounce[] = []
  const reports: SenderReport[] = options.resolvers.map((r) => ({
    sender: r.name,
    byHost: {},
    deferred: 0,
    bounced: 0,
    lookups: 0,
    firstToTarget: null,
    lastToSource: null,
  }))
  const caches: Array<CachedMx | null> = options.resolvers.map(() => null)
  let stopping = false
  const stopSignal = new AbortController()
  const sent = options.resolvers.map(() => 0)

  const lookupMx = async (i: number): Promise<CachedMx | null> => {
    const now = clock.now()
    const cached = caches[i]
    if (cached && cached.expiresAt > now) return cached
    reports[i].lookups++
    const r: QueryResult = await client.query(options.resolvers[i].server, domain, 'MX')
    if (!['ok', 'nodata', 'nxdomain'].includes(r.status)) return null
    const mx = r.answers
      .filter((a) => a.type === 'MX' && a.name === domain)
      .map((a) => a.data as MxData)
      .sort((a, b) => a.priority - b.priority)
    const soa = r.authorities.find((a) => a.type === 'SOA')
    // A stub resolver keeps the answer exactly as long as the resolver said it may.
    const ttl = mx.length > 0 ? Math.min(...r.answers.filter((a) => a.type === 'MX').map((a) => a.ttl)) : soa ? Math.min(soa.ttl, (soa.data as SoaData).minimum) : 0
    const entry: CachedMx = {expiresAt: now + ttl * 1000, mx, nxdomain: r.status === 'nxdomain'}
    caches[i] = entry
    return entry
  }

  const deliver = async (i: number) => {
    const report = reports[i]
    const answer = await lookupMx(i)
    if (!answer) {
      report.deferred++
      return
    }
    const now = clock.now()
    let exchange: string
    if (answer.mx.length === 0) {
      // RFC 5321 §5.1: no MX means the domain's own address record receives mail.
      exchange = answer.nxdomain ? `${domain} (does not exist)` : `${domain} (implicit MX)`
    } else {
      const best = answer.mx.filter((m) => m.priority === answer.mx[0].priority)
      // Equal priorities share the load (RFC 5321 §5.1): rotate by message.
      exchange = best[sent[i] % best.length].exchange
    }
    sent[i]++
    report.byHost[exchange] = (report.byHost[exchange] ?? 0) + 1
    const role = readiness.role(exchange)
    if (role === 'target' && report.firstToTarget === null) report.firstToTarget = now
    if (role === 'source') report.lastToSource = now
    const reason = exchange === '.' ? 'null MX: the domain refuses all mail (RFC 7505)' : readiness.refuses(exchange, now)
    if (reason) {
      report.bounced++
      bounces.push({at: now, sender: report.sender, exchange, reason})
    }
  }

  const loop = (async () => {
    try {
      while (!stopping) {
        await Promise.all(options.resolvers.map((_, i) => deliver(i)))
        if (stopping) break
        await actor.sleep(interval, stopSignal.signal)
      }
    } finally {
      actor.done()
    }
  })()

  return {
    async stop() {
      stopping = true
      stopSignal.abort()
      await loop
      const totals = new Map<string, number>()
      for (const r of reports) for (const [host, n] of Object.entries(r.byHost)) totals.set(host, (totals.get(host) ?? 0) + n)
      return {
        intervalMs: interval,
        messages: [...totals.values()].reduce((a, b) => a + b, 0),
        byHost: [...totals.entries()]
          .map(([exchange, messages]) => ({exchange, role: readiness.role(exchange), messages}))
          .sort((a, b) => b.messages - a.messages),
        deferred: reports.reduce((a, r) => a + r.deferred, 0),
        bounced: bounces.length,
        bounces,
        senders: reports,
      }
    },
  }
}
