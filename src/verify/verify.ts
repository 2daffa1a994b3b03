import {agreeing, count} from '../lib/text.js'
import type {DnsClient} from '../dns/client.js'
import {queryWithTcpFallback} from '../dns/fallback.js'
import {canonicalName} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import type {DnsServer, ServerSpec} from '../dns/server.js'
import {UserError} from '../lib/errors.js'
import {sampleFrom, summarize, toMxJson, type MxJson, type Sample, type ServerReport, type ServerStatus} from './classify.js'

export interface VerifyOptions {
  client: DnsClient
  domain: string
  /** The MX RRset that should be served everywhere (order ignored; an empty list expects "no MX"). */
  expected: readonly MxData[]
  /** The zone's authoritative servers (asked with RD=0, once each). */
  authoritative: readonly DnsServer[]
  /** Recursive resolvers (asked with RD=1, `samples` times each). */
  resolvers: readonly ServerSpec[]
  /** Queries per resolver: anycast resolvers hold several caches, each sample may hit another. Default 3. */
  samples?: number
  /**
   * The TTL the authoritative servers published the old MX RRset with (the
   * plan's lowered TTL, or --published-ttl). A resolver holding the old set
   * with more time left is clamping. When absent, the TTL of an old set still
   * served by an authoritative server is used.
   */
  publishedTtl?: number | null
  /** Per query. Default: the client's. */
  timeoutMs?: number
  /** Milliseconds since the epoch; injected by the sandbox's simulated clock. */
  now?: () => number
  signal?: AbortSignal
  /**
   * Lets the watch loop decide how a resolver's samples are taken this round
   * (it lets a silent resolver's probe run on in the background instead of
   * holding every round for the full timeout). Default: run `probe` now.
   */
  scheduleProbe?: (server: ServerSpec, index: number, probe: () => Promise<Sample[]>) => Promise<Sample[]>
}

export type Summary = Record<ServerStatus, number>

/** The `verify --json` report (DESIGN.md "JSON shapes"). */
export interface VerifyReport {
  domain: string
  expected: MxJson[]
  converged: boolean
  /**
   * When the last stale resolver cache must have expired if it obeys TTLs
   * (ISO time); null when converged or when it cannot be known yet (an
   * authoritative server still serves the old set, or only unreachable
   * resolvers are left).
   */
  eta: string | null
  /** Seconds from checkedAt to eta. */
  etaSeconds: number | null
  checkedAt: string
  /** Milliseconds this check took. */
  durationMs: number
  publishedTtl: number | null
  publishedTtlSource: 'given' | 'authoritative' | null
  /** Every authoritative server serves the expected set. */
  authoritativeUpdated: boolean
  /** Counts of resolver statuses. */
  summary: Summary
  /** Why the check has not converged, one sentence each. */
  pending: string[]
  resolvers: ServerReport[]
  authoritative: ServerReport[]
}

function emptySummary(): Summary {
  return {updated: 0, stale: 0, mixed: 0, unreachable: 0, error: 0}
}

/**
 * One propagation check: every authoritative server and every resolver sample
 * asked concurrently, each classified against the expected MX set.
 */
export async function verifyPropagation(options: VerifyOptions): Promise<VerifyReport> {
  const now = options.now ?? Date.now
  const samples = options.samples ?? 3
  if (!Number.isInteger(samples) || samples < 1) throw new UserError(`samples must be a whole number of at least 1 (got ${samples})`)
  if (options.authoritative.length === 0 && options.resolvers.length === 0) {
    throw new UserError('nothing to verify against: give at least one --nameserver or --resolver')
  }
  const domain = canonicalName(options.domain)
  const expected = toMxJson(options.expected)
  const started = now()
  // An explicit undefined would override the client's own default timeout.
  const queryOptions = {...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs}), ...(options.signal ? {signal: options.signal} : {})}

  const authSamples = Promise.all(
    options.authoritative.map(async (server): Promise<Sample[]> => {
      const [mx, soa] = await Promise.all([
        // An authoritative server that answers only over TCP is read over TCP, as the zone reader does.
        queryWithTcpFallback(options.client, server, domain, 'MX', {...queryOptions, recursion: false}),
        // The serial comes from the SOA in the answer (apex) or the authority section (names below it).
        queryWithTcpFallback(options.client, server, domain, 'SOA', {...queryOptions, recursion: false}),
      ])
      const sample = sampleFrom(mx, domain, expected, now())
      const serial = sampleFrom(soa, domain, expected, now()).serial
      return [{...sample, ...(serial === undefined ? {} : {serial})}]
    }),
  )
  const probe = (server: ServerSpec) => () =>
    Promise.all(
      Array.from({length: samples}, async () => {
        // DO set: a validating resolver answers with AD, which the report records (RFC 4035 §3.2.3).
        const r = await options.client.query(server, domain, 'MX', {...queryOptions, recursion: true, dnssec: true})
        return sampleFrom(r, domain, expected, now())
      }),
    )
  const resolverSamples = Promise.all(
    options.resolvers.map((server, i) => (options.scheduleProbe ? options.scheduleProbe(server, i, probe(server)) : probe(server)())),
  )
  const [auth, res] = await Promise.all([authSamples, resolverSamples])
  const finished = now()

  const authReports = options.authoritative.map((server, i) => summarize(server, auth[i], {role: 'authoritative'}))
  const maxTtl = (list: ServerReport[], expectedSet: boolean) => {
    const ttls = list.flatMap((r) => r.answers.filter((a) => a.expected === expectedSet && a.status === 'ok').map((a) => a.ttl)).filter((t): t is number => t !== null)
    return ttls.length > 0 ? Math.max(...ttls) : null
  }
  const servedOldTtl = maxTtl(authReports, false)
  const publishedTtl = options.publishedTtl ?? servedOldTtl
  const publishedTtlSource = options.publishedTtl != null ? 'given' : servedOldTtl !== null ? 'authoritative' : null
  const newTtl = maxTtl(authReports, true)
  const resolverReports = options.resolvers.map((server, i) => summarize(server, res[i], {role: 'resolver', publishedTtl, newTtl}))

  return buildReport({domain, expected, started, finished, publishedTtl, publishedTtlSource, authReports, resolverReports})
}

/** Assembles the verdict from per-server reports (also used by the watch loop after merging memory). */
export function buildReport(input: {
  domain: string
  expected: MxJson[]
  started: number
  finished: number
  publishedTtl: number | null
  publishedTtlSource: VerifyReport['publishedTtlSource']
  authReports: ServerReport[]
  resolverReports: ServerReport[]
}): VerifyReport {
  const {authReports, resolverReports} = input
  const summary = emptySummary()
  for (const r of resolverReports) summary[r.status] += 1
  const authoritativeUpdated = authReports.every((r) => r.status === 'updated')
  const resolversUpdated = resolverReports.every((r) => r.status === 'updated')
  const converged = authoritativeUpdated && resolversUpdated

  const pending: string[] = []
  const notUpdatedAuth = authReports.filter((r) => r.status !== 'updated')
  if (notUpdatedAuth.length > 0) {
    pending.push(
      `${notUpdatedAuth.length} of ${count(authReports.length, 'authoritative server')} ${agreeing(notUpdatedAuth.length, 'does', 'do')} not serve the expected MX yet (${notUpdatedAuth.map((r) => `${r.address} ${r.status}`).join(', ')}); resolvers may fetch the old set again until they do`,
    )
  }
  const stale = resolverReports.filter((r) => r.status === 'stale' || r.status === 'mixed')
  if (stale.length > 0) pending.push(`${count(stale.length, 'resolver')} still ${agreeing(stale.length, 'holds', 'hold')} the old MX in cache`)
  const dark = resolverReports.filter((r) => r.status === 'unreachable' || r.status === 'error')
  if (dark.length > 0) {
    pending.push(`${count(dark.length, 'resolver')} could not be checked (${dark.map((r) => `${r.address} ${r.status}`).join(', ')}): propagation there is unknown`)
  }

  let eta: string | null = null
  if (!converged && authoritativeUpdated && stale.length > 0) {
    const ends = stale.map((r) => (r.expiresAt ? Date.parse(r.expiresAt) : input.finished))
    eta = new Date(Math.max(...ends)).toISOString()
  }
  return {
    domain: input.domain,
    expected: input.expected,
    converged,
    eta,
    etaSeconds: eta === null ? null : Math.max(0, Math.ceil((Date.parse(eta) - input.finished) / 1000)),
    checkedAt: new Date(input.finished).toISOString(),
    durationMs: Math.round(input.finished - input.started),
    publishedTtl: input.publishedTtl,
    publishedTtlSource: input.publishedTtlSource,
    authoritativeUpdated,
    summary,
    pending,
    resolvers: resolverReports,
    authoritative: authReports,
  }
}
