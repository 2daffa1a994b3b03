import {createDnsClient, type DnsClient} from '../dns/client.js'
import {DEFAULT_RESOLVERS, parseResolvers, parseServer, type DnsServer, type ServerSpec} from '../dns/server.js'
import {createHost} from '../hosts/registry.js'
import {UserError} from '../lib/errors.js'
import type {PlanState} from '../state/schema.js'
import {discoverZone, type AuthServer} from '../zone/discover.js'
import {envFailpoint} from './failpoint.js'
import {openJournal, readJournal} from './journal.js'
import {acquireLock, type PlanLock} from './lock.js'
import {planPaths, type PlanPaths} from '../state/paths.js'
import {buildRunnerDeps} from './effects.js'
import {readPlanState, writePlanState} from '../state/file.js'
import {createNotifier, type Notifier} from './notify.js'
import type {Clock, RunnerDeps} from './types.js'
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
  /** Warnings for people (stderr). */
  warn?: (line: string) => void
  /** Notifier targets from --notify; default: the plan's config (notify:). */
  notify?: string[]
  /** What to type to continue this plan (for notifications). */
  resumeCommand?: string
  /** False in fleet runs: never ask anything, even at a terminal. */
  prompts?: boolean
}

export interface Session {
  paths: PlanPaths
  plan: PlanState
  lock: PlanLock
  deps: RunnerDeps
  interactive: boolean
  interrupt: AbortController
  notifier: Notifier
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
    const config = plan.config
    const timeoutMs = options.dns.timeout
    const client = createDnsClient({timeoutMs})
    const resolvers = parseResolvers(options.dns.resolver ?? config.resolvers ?? DEFAULT_RESOLVERS)
    const authServers = await authServersFor(plan, client, options.dns.nameserver ?? config.dns.nameservers, resolvers, timeoutMs)
    const interactive = isInteractive() && options.prompts !== false
    const write = options.write ?? ((t: string) => process.stdout.write(t))
    const prompter = interactive && !options.yes ? createPrompter() : null
    const journal = openJournal(paths.journal, {now: systemClock.now})
    const notifier = createNotifier(options.notify ?? config.notify ?? [], {domain: plan.domain, plan: paths.plan, planId: plan.id, next: options.resumeCommand ?? null}, {
      journal,
      warn: options.warn ?? ((line) => process.stderr.write(`mxcut: warning: ${line}\n`)),
    })
    const host = createHost(config.dns, {
      zone: plan.zone,
      client,
      authServers,
      print: (text) => write(text.endsWith('\n') ? text : text + '\n'),
      ...(prompter ? {confirm: confirmPrompt} : {}),
      requestTimeoutMs: timeoutMs,
    })
    const interrupt = new AbortController()
    const deps = buildRunnerDeps({
      host,
      client,
      authServers,
      resolvers,
      timeoutMs,
      clock: systemClock,
      ui: createUi({interactive, write}),
      prompter,
      save: (p) => writePlanState(paths.plan, p),
      journal,
      notify: (notice) => notifier.send(notice),
      previousJournal: await readJournal(paths.journal),
      interrupt: interrupt.signal,
      failpoint: envFailpoint(),
    })
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
      notifier,
      async close() {
        process.removeListener('SIGINT', onSigint)
        process.removeListener('SIGTERM', onSigint)
        await lock.release()
        await notifier.flush()
      },
    }
  } catch (err) {
    await lock.release()
    throw err
  }
}
