import {recordedTargetValues} from '../audit/configured.js'
import {resolveTarget as auditedTarget} from '../audit/target.js'
import {sourceSpfInclude} from '../profiles/resolve.js'
import {createDnsClient, type DnsClient} from '../dns/client.js'
import {canonicalName} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import type {DnsServer, ServerSpec} from '../dns/server.js'
import {createHost} from '../hosts/registry.js'
import {UserError} from '../lib/errors.js'
import {dim} from '../lib/style.js'
import {formatClock} from '../lib/time.js'
import type {Config} from '../plan/config.js'
import type {CutoverPlan} from '../plan/context.js'
import {observeDomain} from '../plan/observe.js'
import {planDomain} from '../plan/pipeline.js'
import {toPlanState} from '../plan/plan-file.js'
import {resolveTarget} from '../plan/target.js'
import {getProfile} from '../profiles/index.js'
import {buildRunnerDeps} from '../run/effects.js'
import {memoryJournal, type Journal} from '../run/journal.js'
import {runPlan, type RunOutcome} from '../run/runner.js'
import type {ProbeMxFn, RunnerDeps} from '../run/types.js'
import {createUi} from '../run/ui.js'
import {finalMx, targetVerification} from '../state/queries.js'
import type {PlanState, Step} from '../state/schema.js'
import type {AuthServer} from '../zone/discover.js'
import {rdataKeys, txtTexts, type RRset} from '../zone/rrset.js'
import type {StartingState} from './demo.js'
import type {Actor, SimClock} from './clock.js'
import {createSimClock, DEFAULT_SANDBOX_RESOLVERS, startSandbox, type ResolverSpec, type Sandbox} from './index.js'
import {startSenders, type MailReport, type Readiness} from './mail.js'
import {buildReport, type RehearsalReport} from './report.js'
import {worldNeeds, worldZone, type WorldNeeds} from './world.js'
import {createZone} from './zone.js'

/** Per query inside the sandbox: loopback answers in well under a millisecond, the slow resolver in its delay. */
const SANDBOX_QUERY_TIMEOUT_MS = 150
const TSIG_ENV = 'MXCUT_SANDBOX_TSIG_SECRET'

export interface RehearseOptions {
  /** What the zone serves before the cutover. */
  start: StartingState
  /** Either a config to plan against the sandbox, or a plan made earlier. */
  source: {kind: 'config'; config: Config; domain: string; configPath?: string} | {kind: 'plan'; plan: PlanState}
  resolvers?: ResolverSpec[]
  secondaryLagMs?: number
  /** Where the step-by-step log goes (one line per call). */
  write: (line: string) => void
  /** The command shown in the runner's messages. */
  commandLine: string
}

export interface Rehearsal {
  report: RehearsalReport
  plan: PlanState
}

/**
 * Rehearses a cutover: loads today's records into the sandbox, plans (or
 * takes the plan) against it, and runs every step through the real runner
 * with --yes answers and simulated time, while simulated senders deliver mail
 * through each resolver. Nothing outside loopback is contacted.
 */
export async function rehearse(options: RehearseOptions): Promise<Rehearsal> {
  const realStart = performance.now()
  const zone = canonicalName(options.start.zone)
  const domain = canonicalName(options.source.kind === 'plan' ? options.source.plan.domain : options.source.domain)
  const needs = standIns(options, zone, domain)
  const {sandbox, clock, nsNames} = await startRehearsalSandbox(options, zone, needs)
  const previousSecret = process.env[TSIG_ENV]
  // From here on nothing may leave the machine (the audit's MTA-STS fetch included), whatever the records say.
  const previousGuard = process.env.MXCUT_LOOPBACK_ONLY
  process.env.MXCUT_LOOPBACK_ONLY = '1'
  try {
    const env: SandboxEnv = {
      sandbox,
      zone,
      domain,
      clock,
      client: createDnsClient({timeoutMs: SANDBOX_QUERY_TIMEOUT_MS, retries: 2}),
      authServers: sandbox.nameservers.map((s, i) => ({...s, host: nsNames[i]})),
      resolvers: sandbox.resolvers.map((r) => r.server),
    }
    const {plan, cutover} = await planOrRestart(options, env)
    const readiness = readinessFor(plan, sandbox, options.start, domain)
    const senders = startSenders({clock, domain, resolvers: sandbox.resolvers, readiness: readiness.readiness, timeoutMs: SANDBOX_QUERY_TIMEOUT_MS})
    const runner = clock.actor('runner')
    process.env[TSIG_ENV] = sandbox.tsig.secret.toString('base64')
    const journal = memoryJournal(() => clock.now())
    let latest = plan
    const deps = rehearsalDeps(env, runner, options.write, journal, (p) => {
      latest = p
      readiness.observe(p)
    }, sandboxProbe(readiness.readiness, clock))
    const startedAt = clock.now()
    let outcome: RunOutcome
    try {
      const result = await runPlan(plan, deps, {yes: true, resumeCommand: options.commandLine})
      outcome = result.outcome
      latest = result.plan
    } catch (err) {
      outcome = {kind: 'failed', step: latest.steps.find((s) => s.status === 'running' || s.status === 'failed')?.id ?? '?', message: err instanceof Error ? err.message : String(err)}
    } finally {
      runner.done()
    }
    const finishedAt = clock.now()
    const mail: MailReport = await senders.stop()
    const finalState = await readFinal(env.client, sandbox, domain)
    const report = buildReport({plan: latest, cutover, outcome, sandbox, domain, startedAt, finishedAt, realMs: performance.now() - realStart, mail, readiness: readiness.summary(), finalState, standIns: needs, journal: journal.entries})
    return {report, plan: latest}
  } finally {
    if (previousSecret === undefined) delete process.env[TSIG_ENV]
    else process.env[TSIG_ENV] = previousSecret
    await sandbox.close()
    if (previousGuard === undefined) delete process.env.MXCUT_LOOPBACK_ONLY
    else process.env.MXCUT_LOOPBACK_ONLY = previousGuard
  }
}

/** The sandbox of one rehearsal and how to reach it. */
interface SandboxEnv {
  sandbox: Sandbox
  zone: string
  domain: string
  clock: SimClock
  client: DnsClient
  authServers: AuthServer[]
  resolvers: DnsServer[]
}

/** Names outside the zone the cutover needs to resolve (target MX hosts, SPF includes, DKIM targets): the sandbox's world stands in for them. */
function standIns(options: RehearseOptions, zone: string, domain: string): WorldNeeds {
  const planInput = options.source.kind === 'plan' ? options.source.plan : null
  const config = options.source.kind === 'config' ? options.source.config : null
  const target = config ? resolveTarget(config, domain) : null
  const sourceInclude = config && config.source.profile !== 'auto' ? sourceSpfInclude(getProfile(config.source.profile), domain) : null
  const planned = planInput ? planChanges(planInput) : []
  // A plan names its target as the pre-flight audits it: that audit must resolve the same names.
  const recorded = planInput?.preflight ? auditedTarget(getProfile(planInput.preflight.target.profile), domain, recordedTargetValues(planInput.preflight.target)) : null
  return worldNeeds(zone, [...options.start.rrsets, ...planned], {
    hosts: [...(target?.mx.map((m) => m.exchange) ?? []), ...(target?.autodiscover ? [target.autodiscover.value] : []), ...(recorded?.mx.map((m) => m.exchange) ?? [])],
    spf: [...(target?.spfInclude ? [target.spfInclude] : []), ...(sourceInclude ? [sourceInclude] : []), ...(recorded?.spfInclude ? [recorded.spfInclude] : [])],
    dkim: target?.dkim.filter((d) => d.type === 'CNAME').map((d) => d.value) ?? [],
  })
}

async function startRehearsalSandbox(options: RehearseOptions, zone: string, needs: WorldNeeds): Promise<{sandbox: Sandbox; clock: SimClock; nsNames: string[]}> {
  const {start} = options
  const clock = createSimClock()
  const nsNames = [`ns1.${zone}`, `ns2.${zone}`]
  const zoneData = createZone(zone, {ttl: start.soa.ttl, data: {...start.soa}}, [
    ...start.rrsets.filter((s) => !(s.name === zone && s.type === 'NS')),
    // The sandbox's own servers answer for the zone; their names live in it.
    {name: zone, type: 'NS', ttl: 3600, records: nsNames},
    ...nsNames.map((n) => ({name: n, type: 'A', ttl: 3600, records: ['127.0.0.1']})),
  ])
  const sandbox = await startSandbox({
    clock,
    zones: [zoneData],
    world: worldZone(needs),
    resolvers: options.resolvers ?? DEFAULT_SANDBOX_RESOLVERS,
    secondaryLagMs: options.secondaryLagMs,
    upstreamTimeoutMs: SANDBOX_QUERY_TIMEOUT_MS,
  })
  return {sandbox, clock, nsNames}
}

/** Plans against the sandbox as mxcut plan does against live DNS, or takes a plan made earlier back to its first step. */
async function planOrRestart(options: RehearseOptions, env: SandboxEnv): Promise<{plan: PlanState; cutover: CutoverPlan | null}> {
  if (options.source.kind === 'plan') return {plan: restart(options.source.plan), cutover: null}
  // The sandbox has DNS only: no SMTP server or MTA-STS policy host to probe.
  const cutover = await planDomain(env.domain, options.source.config, {
    client: env.client,
    resolvers: env.resolvers,
    nameservers: env.authServers,
    timeoutMs: SANDBOX_QUERY_TIMEOUT_MS,
    probeTimeoutMs: SANDBOX_QUERY_TIMEOUT_MS,
    now: () => new Date(env.clock.now()),
    audit: {audit: true, smtp: false},
  })
  if (cutover.blockers.length > 0) {
    throw new UserError(`the plan is refused in the sandbox too: ${cutover.blockers.map((b) => `${b.code} (${b.message})`).join('; ')}`)
  }
  return {plan: toPlanState(cutover, options.source.config, options.source.configPath), cutover}
}

/** The runner's effects against the sandbox: its primary through RFC 2136, its resolvers, the simulated clock. */
/**
 * The sandbox's SMTP: no listener, but the same readiness the simulated
 * senders meet (the target before its domain is verified, the source once
 * switched off refuse the domain), so an smtp-probe step sees what they see.
 */
function sandboxProbe(readiness: Readiness, clock: SimClock): ProbeMxFn {
  return async ({hosts}) =>
    hosts.map((h) => {
      const exchange = canonicalName(h.exchange)
      const why = readiness.refuses(exchange, clock.now())
      const reply = why ? `550 5.7.1 ${why} (sandbox)` : '250 2.1.5 Recipient OK (sandbox)'
      return {priority: h.priority, exchange, addresses: [{priority: h.priority, exchange, address: 'sandbox', result: why ? ('bounce' as const) : ('accept' as const), stage: 'rcpt' as const, reply, starttls: false, certificateMatches: null}]}
    })
}

function rehearsalDeps(env: SandboxEnv, runner: Actor, write: (line: string) => void, journal: Journal, saved: (plan: PlanState) => void, probeMx: ProbeMxFn): RunnerDeps {
  const {sandbox, zone} = env
  const host = createHost(
    {host: 'rfc2136', rfc2136: {server: `${sandbox.primary.server.address}:${sandbox.primary.server.port}`, zone, key: {name: sandbox.tsig.name, algorithm: sandbox.tsig.algorithm, secret: `env:${TSIG_ENV}`}}},
    {zone, client: env.client, authServers: env.authServers, print: write, requestTimeoutMs: 2000},
  )
  return buildRunnerDeps({
    host,
    client: env.client,
    authServers: env.authServers,
    resolvers: env.resolvers,
    timeoutMs: SANDBOX_QUERY_TIMEOUT_MS,
    clock: runner,
    // Every line carries the simulated local time, as a log of the real run would.
    ui: createUi({interactive: false, write: (t) => t.replace(/\n$/, '').split('\n').forEach((l) => write(`${dim(formatClock(runner.now()))}  ${l}`))}),
    prompter: null,
    save: async (p) => saved(p),
    journal,
    // The runner's own timeouts, so a rehearsal fails where the real run would; only queries are quicker on loopback.
    timing: {queryTimeoutMs: SANDBOX_QUERY_TIMEOUT_MS},
    // One sample per resolver (each has one cache), polled on the simulated clock.
    watch: {samples: 1, maxIntervalMs: 60_000, nearIntervalMs: 1000},
    smtpProbe: false,
    probeTimeoutMs: SANDBOX_QUERY_TIMEOUT_MS,
    probeMx,
  })
}

/** A plan made earlier, set back to its first step: the sandbox starts from the state it observed. */
function restart(plan: PlanState): PlanState {
  const copy: PlanState = structuredClone(plan)
  delete copy.pausedAt
  delete copy.pausedBy
  delete copy.rollback
  for (const step of [...copy.steps, ...(copy.rollbackPlan?.procedures.flatMap((p) => p.steps) ?? [])]) {
    step.status = 'pending'
    for (const key of ['notBefore', 'startedAt', 'finishedAt', 'evidence', 'error'] as const) delete step[key]
  }
  return copy
}

function planChanges(plan: PlanState): RRset[] {
  const out: RRset[] = []
  for (const step of plan.steps) {
    for (const c of step.changes ?? []) {
      if (c.before) out.push(c.before)
      if (c.after) out.push(c.after)
    }
  }
  return out
}

/**
 * When each mail host accepts mail for the domain. The target accepts once
 * its domain-verification TXT is published (the provider verifies the domain
 * from DNS); without a verification value it accepts from the start. The
 * source is switched off when the plan says mail flows to the target: the
 * checkpoint that follows the last verification (confirm-mail-flow), or that
 * verification itself.
 */
function readinessFor(plan: PlanState, sandbox: Sandbox, start: StartingState, domain: string) {
  const targetHosts = new Set(finalMx(plan).map((m) => m.exchange))
  const sourceHosts = new Set(plan.observed.mx.records.map((m) => canonicalName(m.exchange)).filter((x) => x !== '.' && !targetHosts.has(x)))
  const verification = targetVerification(plan)
  const hasVerification = (txt: RRset | null | undefined) => Boolean(verification && txtTexts(txt).includes(verification))
  const startTxt = start.rrsets.find((s) => s.name === domain && s.type === 'TXT')
  let targetReadyAt: number | null = !verification || hasVerification(startTxt) ? sandbox.clock.now() : null
  sandbox.primary.onChange((z) => {
    if (targetReadyAt === null && hasVerification(z.rrsets.get(`${domain} TXT`))) targetReadyAt = sandbox.clock.now()
  })
  const lastVerify = plan.steps.map((s) => s.kind).lastIndexOf('verify')
  const after = lastVerify >= 0 ? plan.steps[lastVerify + 1] : undefined
  // The plan's own word on when the source may go (its decommission-safe check); plans made before it had one: after the last verification.
  const decommission = plan.steps.find((s) => s.kind === 'smtp-probe' && s.afterDecommissionSafe)
  const switchOffStep: Step | undefined = decommission ?? (after?.kind === 'checkpoint' ? after : lastVerify >= 0 ? plan.steps[lastVerify] : undefined)
  let sourceOffAt: number | null = null
  const readiness: Readiness = {
    role: (x) => (targetHosts.has(x) ? 'target' : sourceHosts.has(x) ? 'source' : 'other'),
    refuses(x, at) {
      if (targetHosts.has(x) && (targetReadyAt === null || at < targetReadyAt)) {
        return verification ? `the target does not accept mail for ${domain} before the domain is verified (${verification} not published yet)` : 'the target is not ready'
      }
      if (sourceHosts.has(x) && sourceOffAt !== null && at >= sourceOffAt) return `the source was switched off after ${switchOffStep?.id}`
      return null
    },
  }
  return {
    readiness,
    observe(p: PlanState) {
      if (sourceOffAt === null && switchOffStep && p.steps.find((s) => s.id === switchOffStep.id)?.status === 'done') sourceOffAt = sandbox.clock.now()
    },
    summary: () => ({targetHosts: [...targetHosts], sourceHosts: [...sourceHosts], verification, targetReadyAt, sourceOffAt, switchOffStep: switchOffStep?.id ?? null}),
  }
}

async function readFinal(client: DnsClient, sandbox: Sandbox, domain: string) {
  const servers = [
    {name: 'primary', server: sandbox.primary.server},
    {name: 'secondary', server: sandbox.secondary.server},
  ]
  return Promise.all(
    servers.map(async ({name, server}) => {
      const [mx, soa] = await Promise.all([
        client.query(server, domain, 'MX', {recursion: false}),
        client.query(server, domain, 'SOA', {recursion: false}),
      ])
      const mxSet = mx.answers.filter((a) => a.type === 'MX')
      return {
        server: name,
        serial: (soa.answers.find((a) => a.type === 'SOA')?.data as {serial?: number} | undefined)?.serial ?? null,
        mxTtl: mxSet.length > 0 ? Math.min(...mxSet.map((a) => a.ttl)) : null,
        mx: rdataKeys({type: 'MX', records: mxSet.map((a) => a.data as MxData)}),
      }
    }),
  )
}

/** Today's records as a plan observed them. */
export function startingStateFromPlan(plan: PlanState): StartingState {
  if (!plan.observed.soa) throw new UserError(`plan ${plan.id} recorded no SOA for ${plan.zone}; make the plan again with mxcut plan`)
  const rrsets = plan.observed.rrsets.map((r) => r.rrset).filter((r): r is NonNullable<typeof r> => r !== null)
  const {ttl, ...soa} = plan.observed.soa
  return {zone: plan.zone, soa: {...soa, ttl}, rrsets: rrsets.map((r) => ({name: canonicalName(r.name), type: r.type, ttl: r.ttl, records: r.records}))}
}

/** Today's records read live from the domain's authoritative servers, as `mxcut plan` reads them. */
export async function startingStateLive(
  config: Config,
  domain: string,
  settings: {client: DnsClient; resolvers: ServerSpec[]; nameservers: DnsServer[]; timeoutMs: number},
): Promise<StartingState> {
  const {observed} = await observeDomain(domain, config, settings)
  if (!observed.soa) throw new UserError(`no authoritative server of ${observed.zone} answered with its SOA; check the name servers (or --nameserver) and try again`)
  const {ttl, ...soa} = observed.soa
  const rrsets = Object.values(observed.rrsets).filter((r): r is RRset => r !== null)
  return {zone: observed.zone, soa: {...soa, ttl}, rrsets}
}
