import type {ServerSpec} from '../dns/server.js'
import type {Clamping, Sample} from './classify.js'
import {buildReport, verifyPropagation, type VerifyOptions, type VerifyReport} from './verify.js'

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

export interface WatchOptions extends VerifyOptions {
  /** Called after every check, converged or not. */
  onUpdate?: (report: VerifyReport, round: number) => void
  /** Stop early (Ctrl-C, the runner pausing): the last report is returned with aborted set. */
  signal?: AbortSignal
  /** Give up at this time (ms since the epoch, on the injected clock). Default: 30 min after the start. */
  deadline?: number
  /** Defaults to setTimeout; the sandbox passes its simulated clock's sleep. */
  sleep?: Sleep
  /** Poll interval within `nearWindowMs` of the ETA and after it. Default 500 ms (the ETA has whole-second resolution). */
  nearIntervalMs?: number
  /** Poll interval while the ETA is unknown (authoritative servers not updated, only unreachable resolvers left). Default 1000 ms. */
  idleIntervalMs?: number
  /** Longest sleep between checks while the ETA is far. Default 15 s. */
  maxIntervalMs?: number
  /** How long before the ETA fast polling starts. Default 3 s. */
  nearWindowMs?: number
  /**
   * A resolver that has not answered within this many (real) milliseconds is
   * shown as unreachable for the round and its probe goes on in the
   * background, so one silent resolver does not slow every check. Default
   * 1000; Infinity waits for every answer (a simulated network whose queries
   * only finish as simulated time passes).
   */
  slowAfterMs?: number
}

export interface WatchResult {
  report: VerifyReport
  converged: boolean
  timedOut: boolean
  aborted: boolean
  rounds: number
  startedAt: string
  /** When the check first saw every server updated (ISO). */
  convergedAt: string | null
  /** When every authoritative server was first seen serving the expected set (ISO). */
  authoritativeUpdatedAt: string | null
  /** The latest ETA seen before convergence: when the last stale cache was expected to expire. */
  lastEta: string | null
  /** The strongest clamp seen of each resolver over the whole watch (the report shows the latest observation): what the decommission-safe time needs. */
  clamps: Array<{name: string; address: string; clamping: Clamping}>
}

export const DEFAULT_WATCH_MS = 30 * 60 * 1000

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, Math.max(0, ms))
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done)
  })

/** How long to wait before the next check: long while the ETA is far, sub-second near and after it. */
export function nextDelay(report: VerifyReport, now: number, options: Pick<WatchOptions, 'nearIntervalMs' | 'idleIntervalMs' | 'maxIntervalMs' | 'nearWindowMs'>): number {
  const near = options.nearIntervalMs ?? 500
  const idle = options.idleIntervalMs ?? 1000
  const max = options.maxIntervalMs ?? 15_000
  const window = options.nearWindowMs ?? 3000
  if (report.eta === null) return Math.min(idle, max)
  const left = Date.parse(report.eta) - now
  if (left <= window) return near
  return Math.max(near, Math.min(max, left - window))
}

/**
 * Re-checks until every authoritative server and every resolver serves the
 * expected MX set, the deadline passes, or the signal aborts. Clamping seen
 * once stays on the report: a resolver that raised a TTL will do it again.
 */
export async function watchPropagation(options: WatchOptions): Promise<WatchResult> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? realSleep
  const startedAt = now()
  const deadline = options.deadline ?? startedAt + DEFAULT_WATCH_MS
  const clamps = new Map<string, Clamping>()
  let publishedTtl = options.publishedTtl ?? null
  let authoritativeUpdatedAt: string | null = null
  let lastEta: string | null = null
  let rounds = 0
  // A resolver that did not answer last round is probed in the background: waiting out its
  // timeout every round would make polling slower than once a second near the ETA.
  const unanswered = new Set<number>()
  const background = new Map<number, {result?: Sample[]}>()
  const lastSamples = new Map<number, Sample[]>()
  const slowAfterMs = options.slowAfterMs ?? 1000
  const scheduleProbe = async (server: ServerSpec, i: number, probe: () => Promise<Sample[]>): Promise<Sample[]> => {
    let samples: Sample[]
    if (!unanswered.has(i) && !Number.isFinite(slowAfterMs)) {
      samples = await probe()
    } else if (!unanswered.has(i)) {
      const running = probe()
      // Real time on purpose: this bounds waiting for network I/O, not the (possibly simulated) cutover clock.
      let timer: NodeJS.Timeout | undefined
      const quick = await Promise.race([running, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), slowAfterMs)))])
      clearTimeout(timer)
      if (quick === null) {
        const job: {result?: Sample[]} = {}
        background.set(i, job)
        void running.then((r) => (job.result = r))
        unanswered.add(i)
        const waiting: Sample = {
          at: now(),
          status: 'timeout',
          verdict: 'failed',
          records: [],
          ttl: null,
          aa: false,
          transport: server.kind === 'doh' ? 'doh' : 'udp',
          rttMs: slowAfterMs,
          error: `no answer within ${slowAfterMs} ms yet (still asking)`,
        }
        lastSamples.set(i, [waiting])
        return [waiting]
      }
      samples = quick
    } else {
      let job = background.get(i)
      if (!job) {
        const fresh: {result?: Sample[]} = {}
        job = fresh
        background.set(i, fresh)
        void probe().then((r) => (fresh.result = r))
      }
      const last = lastSamples.get(i)
      if (!job.result && last) return last
      background.delete(i)
      samples = job.result ?? (await probe())
    }
    lastSamples.set(i, samples)
    if (samples.some((s) => s.verdict === 'failed')) unanswered.add(i)
    else unanswered.delete(i)
    return samples
  }

  // Background probes still in flight when the watch ends are cancelled, so a caller (the CLI) can exit at once.
  const stop = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal
  try {
    return await loop()
  } finally {
    stop.abort()
  }

  async function loop(): Promise<WatchResult> {
    for (;;) {
      rounds += 1
      let report = await verifyPropagation({...options, signal, publishedTtl, scheduleProbe})
      // An old TTL learnt from an authoritative server in an earlier round keeps clamp detection working after they all updated.
      if (publishedTtl === null && report.publishedTtl !== null) publishedTtl = report.publishedTtl
      report = remember(report, clamps, publishedTtl, options.publishedTtl != null)
      if (report.authoritativeUpdated && authoritativeUpdatedAt === null) authoritativeUpdatedAt = report.checkedAt
      if (report.eta !== null) lastEta = report.eta
      options.onUpdate?.(report, rounds)

      const t = now()
      const strongest = report.resolvers.flatMap((r) => {
        const c = clamps.get(`${r.name} ${r.address}`)
        return c ? [{name: r.name, address: r.address, clamping: c}] : []
      })
      const base = {report, rounds, startedAt: new Date(startedAt).toISOString(), authoritativeUpdatedAt, lastEta, clamps: strongest}
      if (report.converged) return {...base, converged: true, timedOut: false, aborted: false, convergedAt: report.checkedAt}
      if (options.signal?.aborted) return {...base, converged: false, timedOut: false, aborted: true, convergedAt: null}
      if (t >= deadline) return {...base, converged: false, timedOut: true, aborted: false, convergedAt: null}
      await sleep(Math.min(nextDelay(report, t, options), deadline - t), options.signal)
      if (options.signal?.aborted) return {...base, converged: false, timedOut: false, aborted: true, convergedAt: null}
    }
  }
}

function remember(report: VerifyReport, clamps: Map<string, Clamping>, publishedTtl: number | null, given: boolean): VerifyReport {
  const resolvers = report.resolvers.map((r) => {
    const key = `${r.name} ${r.address}`
    const seen = clamps.get(key)
    if (r.clamping) {
      // The current observation is shown (its "N s more" is current); memory keeps the strongest evidence: old set over new, then the largest excess.
      const current = {...r.clamping, observedAt: report.checkedAt}
      const stronger = !seen || (current.rrset === 'old' && seen.rrset === 'new') || (current.rrset === seen.rrset && current.excess > seen.excess)
      if (stronger) clamps.set(key, current)
      return {...r, clamping: current}
    }
    return seen ? {...r, clamping: seen} : r
  })
  const authReports = report.authoritative
  return buildReport({
    domain: report.domain,
    expected: report.expected,
    started: Date.parse(report.checkedAt) - report.durationMs,
    finished: Date.parse(report.checkedAt),
    publishedTtl,
    publishedTtlSource: publishedTtl === null ? null : given ? 'given' : 'authoritative',
    authReports,
    resolverReports: resolvers,
  })
}
