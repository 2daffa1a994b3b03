import {z} from 'zod'
import {createDnsClient, type DnsClient} from '../dns/client.js'
import {DEFAULT_RESOLVERS, parseResolvers, parseServer, type DnsServer, type ServerSpec} from '../dns/server.js'
import {createHost, hostNames, type HostConfig} from '../hosts/registry.js'
import {UserError} from '../lib/errors.js'
import type {PlanState} from '../state/schema.js'
import {watchPropagation} from '../verify/watch.js'
import {discoverZone, type AuthServer} from '../zone/discover.js'
import {envFailpoint} from './failpoint.js'
import {openJournal, readJournal} from './journal.js'
import {acquireLock, type PlanLock} from './lock.js'
import {planPaths, type PlanPaths} from '../state/paths.js'
import {createAudit} from './preflight.js'
import {readPlanState, writePlanState} from '../state/file.js'
import type {Clock, RunnerDeps, RunnerUi, VerifyFn} from './types.js'
import {confirmPrompt, createPrompter, createUi, isInteractive} from './ui.js'

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      signal?.addEventListener('abort', done)
    }),
}

/** The parts of the plan's recorded config the runner needs; the rest is the planner's business. */
const runConfigSchema = z.object({
  dns: z
    .object({
      host: z.enum(hostNames).default('manual'),
      nameservers: z.array(z.string()).default([]),
    })
    .passthrough()
    .default({host: 'manual', nameservers: []}),
  resolvers: z.array(z.string()).optional(),
})

export interface DnsOverrides {
  resolver?: string[]
  nameserver?: string[]
  timeout: number
}

export interface SessionOptions {
  command: string
  yes: boolean
  dns: DnsOverrides
  /** Output for people (stdout). */
  write?: (text: string) => void
}

export interface Session {
  paths: PlanPaths
  plan: PlanState
  lock: PlanLock
  deps: RunnerDeps
  interactive: boolean
  interrupt: AbortController
  close(): Promise<void>
}

export async function authServersFor(plan: PlanState, client: DnsClient, nameservers: string[], resolvers: ServerSpec[], timeoutMs: number): Promise<AuthServer[]> {
  if (nameservers.length > 0) {
    return nameservers.map((s) => {
      const parsed = parseServer(s, 'name server')
      if (parsed.kind !== 'dns') throw new UserError(`name server '${s}' must be IP[:PORT]; DoH is for resolvers`)
      return {...(parsed as DnsServer), host: parsed.name}
    })
  }
  const info = await discoverZone(plan.zone, {client, resolvers, timeoutMs})
  return info.nameservers
}

/**
 * Opens a plan for run/resume/rollback: takes the lock (exit 2 naming the
 * holder when taken), reads and validates the state, and builds the real
 * effects from the plan's config: DNS host, authoritative servers, verifier.
 */
export async function openSession(planPath: string, options: SessionOptions): Promise<Session> {
  const paths = planPaths(planPath)
  // Read once before locking so a missing or broken file says so rather than leaving a lock behind.
  await readPlanState(paths.plan)
  const lock = await acquireLock(planPath, paths.lock, options.command)
  try {
    const plan = await readPlanState(paths.plan)
    const parsed = runConfigSchema.safeParse(plan.config)
    if (!parsed.success) throw new UserError(`plan ${planPath}: config.${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`)
    const config = parsed.data
    const timeoutMs = options.dns.timeout
    const client = createDnsClient({timeoutMs})
    const resolvers = parseResolvers(options.dns.resolver ?? config.resolvers ?? DEFAULT_RESOLVERS)
    const authServers = await authServersFor(plan, client, options.dns.nameserver ?? config.dns.nameservers, resolvers, timeoutMs)
    const interactive = isInteractive()
    const write = options.write ?? ((t: string) => process.stdout.write(t))
    const ui: RunnerUi = createUi({interactive, write})
    const prompter = interactive && !options.yes ? createPrompter() : null
    const host = createHost(config.dns as unknown as HostConfig, {
      zone: plan.zone,
      client,
      authServers,
      print: (text) => write(text.endsWith('\n') ? text : text + '\n'),
      ...(prompter ? {confirm: confirmPrompt} : {}),
      requestTimeoutMs: timeoutMs,
    })
    const clock = systemClock
    const verify: VerifyFn = async (input) => {
      const r = await watchPropagation({
        client,
        domain: input.domain,
        expected: input.expected,
        authoritative: authServers,
        resolvers,
        publishedTtl: input.publishedTtl,
        timeoutMs,
        now: clock.now,
        sleep: clock.sleep,
        deadline: input.deadline,
        signal: input.signal,
      })
      const rep = r.report
      const total = rep.resolvers.length
      const summary = r.converged
        ? `every authoritative server and ${total} resolver${total === 1 ? '' : 's'} serve the new MX`
        : `${rep.summary.updated} of ${total} resolvers updated${rep.authoritativeUpdated ? '' : '; not every authoritative server serves it yet'}`
      return {
        converged: r.converged,
        timedOut: r.timedOut,
        aborted: r.aborted,
        summary,
        pending: rep.pending,
        evidence: {convergedAt: r.convergedAt, authoritativeUpdatedAt: r.authoritativeUpdatedAt, rounds: r.rounds, summary: rep.summary, resolvers: rep.resolvers.map((x) => ({name: x.name, address: x.address, status: x.status}))},
      }
    }
    const interrupt = new AbortController()
    const journal = openJournal(paths.journal, {now: clock.now})
    const previousJournal = await readJournal(paths.journal)
    const deps: RunnerDeps = {
      host,
      client,
      authServers,
      clock,
      ui,
      prompter,
      verify,
      audit: createAudit({client, resolvers, nameservers: authServers, timeoutMs}),
      save: (p) => writePlanState(paths.plan, p),
      journal,
      previousJournal,
      interrupt: interrupt.signal,
      failpoint: envFailpoint(),
    }
    const onSigint = () => {
      if (interrupt.signal.aborted) {
        // A second Ctrl-C: stop now; the journal's last intent tells resume what may have been in flight.
        process.stderr.write('\nmxcut: stopped; resume checks live DNS and the journal before doing anything\n')
        process.exit(130)
      }
      process.stderr.write('\nmxcut: pausing (a DNS change in flight finishes first; Ctrl-C again to stop at once)\n')
      interrupt.abort()
    }
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    return {
      paths,
      plan,
      lock,
      deps,
      interactive,
      interrupt,
      async close() {
        process.removeListener('SIGINT', onSigint)
        process.removeListener('SIGTERM', onSigint)
        await lock.release()
      },
    }
  } catch (err) {
    await lock.release()
    throw err
  }
}
