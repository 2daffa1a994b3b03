import type {QueryResult, QueryStatus} from '../dns/client.js'
import {canonicalName} from '../dns/names.js'
import type {MxData, SoaData} from '../dns/records.js'
import {serverLabel, type ServerSpec} from '../dns/server.js'
import {mxRecords, rrsetFrom} from '../zone/rrset.js'

/** One MX record as the `verify --json` report shows it. */
export interface MxJson {
  priority: number
  exchange: string
}

export type ServerStatus = 'updated' | 'stale' | 'mixed' | 'unreachable' | 'error'

/** What one query (one sample) of one server said. */
export interface Sample {
  at: number
  status: QueryStatus
  /** Set when the server answered at all (any rcode). */
  rcode?: string
  /** 'new': the expected RRset; 'old': anything else a server answered; 'failed': no usable answer. */
  verdict: 'new' | 'old' | 'failed'
  /** MX records answered (empty for NODATA/NXDOMAIN). */
  records: MxJson[]
  /**
   * Remaining TTL in seconds: of the MX RRset, or for a negative answer of the
   * SOA in the authority section (how long the "no MX" stays cached, RFC 2308).
   */
  ttl: number | null
  aa: boolean
  /** The resolver set AD: it validated the answer with DNSSEC (the query sets DO). */
  ad?: boolean
  transport: QueryResult['transport']
  rttMs: number
  /** SOA serial when the server gave one (authoritative servers). */
  serial?: number
  error?: string
}

/** One distinct answer a server gave across its samples. */
export interface AnswerJson {
  status: 'ok' | 'nodata' | 'nxdomain'
  records: MxJson[]
  /** Whether this is the expected RRset. */
  expected: boolean
  /** Largest remaining TTL seen for this answer. */
  ttl: number | null
  count: number
}

export interface Clamping {
  /** Which RRset was held longer than it was published for. */
  rrset: 'old' | 'new'
  observedTtl: number
  publishedTtl: number
  /** Seconds beyond the published TTL. */
  excess: number
  message: string
  /** When it was seen (set by the watch loop, which keeps it after the resolver updated). */
  observedAt?: string
}

export interface ServerReport {
  name: string
  /** IP, IP:PORT or DoH URL. */
  address: string
  role: 'authoritative' | 'resolver'
  transport: QueryResult['transport']
  status: ServerStatus
  /**
   * Resolvers: the largest remaining TTL of a non-expected (old) answer, i.e.
   * how long this cache may keep serving it; null when nothing old was seen.
   * Authoritative servers: the TTL they serve for a non-expected RRset.
   */
  ttlRemaining: number | null
  /** When this server's old answer must have expired if it obeys TTLs (ISO); null when nothing old. */
  expiresAt: string | null
  answers: AnswerJson[]
  samples: number
  failedSamples: number
  /** SOA serial (authoritative servers). */
  serial?: number | null
  /**
   * Resolvers: true when every answer carried the AD bit (the resolver
   * validated it with DNSSEC), false when one did not, null when nothing
   * was answered. An unsigned zone is never AD.
   */
  authenticated?: boolean | null
  clamping?: Clamping
  error?: string
}

export function toMxJson(records: readonly MxData[]): MxJson[] {
  return [...records]
    .map((r) => ({priority: r.priority, exchange: r.exchange === '.' ? '.' : canonicalName(r.exchange)}))
    .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))
}

export function mxKey(records: readonly MxJson[]): string {
  return records.map((r) => `${r.priority} ${r.exchange}`).join(', ')
}

function serverAddress(server: ServerSpec): string {
  return serverLabel(server)
}

/** Classifies one query's result against the expected MX set (order and TTL ignored). */
export function sampleFrom(result: QueryResult, domain: string, expected: readonly MxJson[], at: number): Sample {
  const base = {at, aa: result.aa, ad: result.ad === true, transport: result.transport, rttMs: Math.round(result.rttMs), ...(result.rcode ? {rcode: result.rcode} : {})}
  const soa = [...result.answers, ...result.authorities].find((r) => r.type === 'SOA')
  const serial = soa ? (soa.data as SoaData).serial : undefined
  if (result.status === 'ok' || result.status === 'nodata' || result.status === 'nxdomain') {
    const set = result.status === 'ok' ? rrsetFrom(result.answers, domain, 'MX') : null
    // An answer without the MX RRset of the name (a CNAME chain to elsewhere, say) is reported as what it is: not the expected set.
    const records = toMxJson(mxRecords(set))
    // Servers already send the SOA of a negative answer with the negative-caching TTL (RFC 2308 §3).
    const ttl = set ? set.ttl : soa ? soa.ttl : null
    const isNew = result.status !== 'nxdomain' && mxKey(records) === mxKey(expected)
    return {...base, status: result.status, verdict: isNew ? 'new' : 'old', records, ttl, ...(serial === undefined ? {} : {serial})}
  }
  return {...base, status: result.status, verdict: 'failed', records: [], ttl: null, error: result.error ?? result.status}
}

/**
 * No answer at all (timeout, connection refused, network unreachable) is
 * "unreachable"; a failing rcode, or a DoH server that answers HTTP errors or
 * presents an untrusted certificate, is "error": something is there but broken.
 */
export function isUnreachable(s: Pick<Sample, 'status' | 'rcode' | 'error'>): boolean {
  if (s.status === 'timeout') return true
  return s.status === 'error' && s.rcode === undefined && /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ETIMEDOUT|EADDRNOTAVAIL|closed the TCP connection/i.test(s.error ?? '')
}

export interface SummarizeOptions {
  role: ServerReport['role']
  /** The TTL the authoritative servers published for the old RRset, when known. */
  publishedTtl?: number | null
  /** The TTL the authoritative servers publish for the expected RRset, when known. */
  newTtl?: number | null
}

/**
 * Folds a server's samples into one status. A server is "updated" only when
 * every sample answered with the expected set: a sample that failed leaves a
 * cache unobserved, so it can never count as evidence of propagation.
 */
export function summarize(server: ServerSpec, samples: readonly Sample[], options: SummarizeOptions): ServerReport {
  const answered = samples.filter((s) => s.verdict !== 'failed')
  const failed = samples.filter((s) => s.verdict === 'failed')
  const old = answered.filter((s) => s.verdict === 'old')
  const fresh = answered.filter((s) => s.verdict === 'new')
  const authoritative = options.role === 'authoritative'

  const answers = new Map<string, AnswerJson>()
  for (const s of answered) {
    const key = `${s.status} ${mxKey(s.records)}`
    const a = answers.get(key)
    if (a) {
      a.count += 1
      if (s.ttl !== null) a.ttl = Math.max(a.ttl ?? 0, s.ttl)
    } else {
      answers.set(key, {status: s.status as AnswerJson['status'], records: s.records, expected: s.verdict === 'new', ttl: s.ttl, count: 1})
    }
  }

  let status: ServerStatus
  let error: string | undefined
  const notAuthoritative = authoritative && answered.some((s) => !s.aa)
  if (samples.length === 0) {
    // Defensive: no sample is no evidence.
    status = 'unreachable'
    error = 'not asked'
  } else if (notAuthoritative) {
    status = 'error'
    error = 'answered without the AA flag: not authoritative for the domain'
  } else if (old.length > 0) {
    status = fresh.length > 0 ? 'mixed' : 'stale'
  } else if (failed.length > 0) {
    status = failed.every(isUnreachable) ? 'unreachable' : 'error'
    const first = failed[0]
    error =
      failed.length < samples.length
        ? `${failed.length} of ${samples.length} samples failed (${first.error ?? first.status}); the others showed the expected MX`
        : (first.error ?? first.status)
  } else {
    status = 'updated'
  }
  if (!error && failed.length > 0) error = `${failed.length} of ${samples.length} samples failed (${failed[0].error ?? failed[0].status})`

  const oldTtls = old.map((s) => s.ttl).filter((t): t is number => t !== null)
  const ttlRemaining = oldTtls.length > 0 ? Math.max(...oldTtls) : null
  let expiresAt: string | null = null
  if (!authoritative && old.length > 0) {
    // A cache reports whole seconds left, rounded down: the entry may live up to one second more.
    const ends = old.map((s) => s.at + ((s.ttl ?? 0) + 1) * 1000)
    expiresAt = new Date(Math.max(...ends)).toISOString()
  }

  const serials = samples.map((s) => s.serial).filter((x): x is number => x !== undefined)
  const report: ServerReport = {
    name: server.name,
    address: serverAddress(server),
    role: options.role,
    transport: samples[0]?.transport ?? (server.kind === 'doh' ? 'doh' : 'udp'),
    status,
    ttlRemaining,
    expiresAt,
    answers: [...answers.values()],
    samples: samples.length,
    failedSamples: failed.length,
    ...(authoritative ? {serial: serials.length > 0 ? Math.max(...serials) : null} : {authenticated: answered.length > 0 ? answered.every((s) => s.ad === true) : null}),
    ...(error ? {error} : {}),
  }
  if (!authoritative) {
    const clamp = detectClamping(old, fresh, options)
    if (clamp) report.clamping = clamp
  }
  return report
}

/**
 * A cache cannot legitimately hold an RRset longer than the TTL it was
 * published with (RFC 2181 §8): a remaining TTL above it means the resolver
 * raises TTLs (Unbound cache-min-ttl, some ISP resolvers).
 */
export function detectClamping(old: readonly Sample[], fresh: readonly Sample[], options: SummarizeOptions): Clamping | undefined {
  const maxTtl = (list: readonly Sample[]) => {
    const ttls = list.map((s) => s.ttl).filter((t): t is number => t !== null)
    return ttls.length > 0 ? Math.max(...ttls) : null
  }
  const oldTtl = maxTtl(old.filter((s) => s.status === 'ok'))
  if (oldTtl !== null && options.publishedTtl != null && oldTtl > options.publishedTtl) {
    const excess = oldTtl - options.publishedTtl
    return {
      rrset: 'old',
      observedTtl: oldTtl,
      publishedTtl: options.publishedTtl,
      excess,
      message: `holds the old MX with ${oldTtl} s left although it was published with TTL ${options.publishedTtl} s: this resolver clamps TTLs and may serve the old MX for up to ${oldTtl} s more`,
    }
  }
  const newTtl = maxTtl(fresh.filter((s) => s.status === 'ok'))
  if (newTtl !== null && options.newTtl != null && newTtl > options.newTtl) {
    return {
      rrset: 'new',
      observedTtl: newTtl,
      publishedTtl: options.newTtl,
      excess: newTtl - options.newTtl,
      message: `holds the new MX with ${newTtl} s left although it is published with TTL ${options.newTtl} s: this resolver clamps TTLs, so a rollback would take up to ${newTtl} s to reach it`,
    }
  }
  return undefined
}
