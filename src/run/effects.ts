import {auditConfigured} from '../audit/configured.js'
import {createLookup, describeStatus, isDefinite} from '../audit/lookup.js'
import {probeMxHosts} from '../audit/mx-hosts.js'
import {addressJson} from '../audit/mx-probe.js'
import type {ServerSpec} from '../dns/server.js'
import type {Clamping} from '../verify/classify.js'
import {watchPropagation, type WatchOptions} from '../verify/watch.js'
import type {AuditFn, ProbeMxFn, RunnerDeps, VerifyFn} from './types.js'

/**
 * The one place the runner's effects are built, for a real run (src/run/session.ts)
 * and for a rehearsal against the sandbox (src/sandbox/rehearse.ts): the same
 * verifier and the same audit, with only the network and the clock differing.
 */
export interface EffectsEnv extends Omit<RunnerDeps, 'verify' | 'audit'> {
  resolvers: ServerSpec[]
  /** Per DNS query. */
  timeoutMs: number
  /** How the verifier polls: the sandbox asks each resolver once per round (one cache each) and polls on simulated time. */
  watch?: Pick<WatchOptions, 'samples' | 'maxIntervalMs' | 'nearIntervalMs' | 'slowAfterMs'>
  /** The sandbox has DNS only: no SMTP server to probe, whatever the plan recorded. */
  smtpProbe?: boolean
  probeTimeoutMs?: number
}

/** The runner's dependencies: what the environment gives, plus the verifier, the audit and the SMTP probe built on it. */
export function buildRunnerDeps(env: EffectsEnv): RunnerDeps {
  const {resolvers: _resolvers, timeoutMs: _timeoutMs, watch: _watch, smtpProbe: _smtpProbe, probeTimeoutMs: _probeTimeoutMs, ...given} = env
  return {...given, verify: verifyAdapter(env), audit: auditAdapter(env), probeMx: env.probeMx ?? probeAdapter(env)}
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The verify step's view of propagation: the watch loop on the runner's clock, its evidence kept whole enough to tell clamping resolvers. */
function verifyAdapter(env: EffectsEnv): VerifyFn {
  return async (input) => {
    const r = await watchPropagation({
      client: env.client,
      domain: input.domain,
      expected: input.expected,
      authoritative: env.authServers,
      resolvers: env.resolvers,
      publishedTtl: input.publishedTtl,
      timeoutMs: env.timeoutMs,
      now: env.clock.now,
      sleep: env.clock.sleep,
      deadline: input.deadline,
      signal: input.signal,
      ...env.watch,
    })
    const rep = r.report
    const total = rep.resolvers.length
    // The strongest clamp of each resolver over the whole watch: a resolver seen holding the old MX says so, even after it updated.
    const strongest = new Map(r.clamps.map((c) => [`${c.name} ${c.address}`, c.clamping]))
    const clampOf = (x: {name: string; address: string; clamping?: Clamping}) => strongest.get(`${x.name} ${x.address}`) ?? x.clamping
    const clamping = rep.resolvers.filter((x) => clampOf(x))
    const clamps = clamping.length > 0 ? `; ${clamping.map((x) => `${x.name} (${x.address}) ${clampOf(x)?.message}`).join('; ')}` : ''
    const summary = r.converged
      ? `every authoritative server and ${plural(total, 'resolver')} serve the expected MX${clamps}`
      : `${rep.summary.updated} of ${plural(total, 'resolver')} updated${rep.authoritativeUpdated ? '' : '; not every authoritative server serves it yet'}${clamps}`
    return {
      converged: r.converged,
      timedOut: r.timedOut,
      aborted: r.aborted,
      summary,
      pending: rep.pending,
      evidence: {
        convergedAt: r.convergedAt,
        authoritativeUpdatedAt: r.authoritativeUpdatedAt,
        rounds: r.rounds,
        summary: rep.summary,
        publishedTtl: rep.publishedTtl,
        resolvers: rep.resolvers.map((x) => {
          const clamp = clampOf(x)
          return {name: x.name, address: x.address, status: x.status, ...(x.authenticated !== undefined ? {authenticated: x.authenticated} : {}), ...(clamp ? {clamping: clamp} : {})}
        }),
      },
    }
  }
}

/** The pre-flight's live audit, as the plan's own audit ran (the settings it recorded). */
function auditAdapter(env: EffectsEnv): AuditFn {
  return ({domain, settings}) =>
    auditConfigured(domain, env.smtpProbe === false ? {...settings, smtp: false} : settings, {
      client: env.client,
      resolvers: env.resolvers,
      nameservers: env.authServers,
      timeoutMs: env.timeoutMs,
      ...(env.probeTimeoutMs !== undefined ? {probeTimeoutMs: env.probeTimeoutMs} : {}),
    })
}

/** smtp-probe steps: every address of each host, port 25, resolved through the plan's servers as the audit resolves them. */
function probeAdapter(env: EffectsEnv): ProbeMxFn {
  return async ({domain, zone, role, hosts}) => {
    const lookup = createLookup({client: env.client, zone, authoritative: env.authServers, resolvers: env.resolvers, timeoutMs: env.timeoutMs})
    const timeoutMs = env.probeTimeoutMs ?? Math.max(env.timeoutMs, 5000)
    const probed = await probeMxHosts(role, hosts, lookup, {recipient: `postmaster@${domain}`, port: 25, timeoutMs})
    return probed.map((h) => ({
      priority: h.priority,
      exchange: h.exchange,
      addresses: h.probes.map((p) => addressJson(h, p)),
      ...(h.resolved.addresses.length === 0 ? {unresolved: {definite: isDefinite(h.resolved.status), message: `${h.exchange} ${describeStatus(h.resolved)}`}} : {}),
    }))
  }
}
