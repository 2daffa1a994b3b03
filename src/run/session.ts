import {stat} from 'node:fs/promises'
import {createDnsClient, type DnsClient} from '../dns/client.js'
import {DEFAULT_RESOLVERS, parseResolvers, parseServer, type DnsServer, type ServerSpec} from '../dns/server.js'
import {createHost} from '../hosts/registry.js'
import {UserError} from '../lib/errors.js'
import {bounded} from '../lib/bounded.js'
import {registerConfiguredSecrets} from '../lib/secrets.js'
import {assertDigest} from '../state/digest.js'
import type {PlanState} from '../state/schema.js'
import {discoverZone, type AuthServer} from '../zone/discover.js'
import {envFailpoint} from './failpoint.js'
import {openJournal, readJournal, repairJournal, type Journal} from './journal.js'
import {acquireLock, type PlanLock} from './lock.js'
import {planPaths, type PlanPaths} from '../state/paths.js'
import {buildRunnerDeps} from './effects.js'
import {removeStaleTemps} from '../state/durable.js'
import {readPlanState, writePlanState} from '../state/file.js'
import {createNotifier, type Notifier} from './notify.js'
import {roomCheck} from './room.js'
import type {Clock, RunnerDeps, RunnerUi} from './types.js'
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

/** For the crash tests: with MXCUT_FAILPOINT=journal:N the process stops right after its Nth journal entry is durable. */
function withFailpoints(journal: Journal, failpoint: ((name: string) => void) | undefined): Journal {
  if (!failpoint) return journal
  let n = 0
  return {
    run: journal.run,
    newIntentId: () => journal.newIntentId(),
    async append(entry) {
      await journal.append(entry)
      failpoint(`journal:${++n}`)
    },
  }
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
  /** The digest the plan must have (run/resume --digest): any other plan is refused before anything happens. */
  digest?: string
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
      if (parsed.kind !== 'dns') throw new UserError(`name server '${bounded(s)}' must be IP[:PORT]; DoH is for resolvers`)
      return {...(parsed as DnsServer), host: parsed.name}
    })
  }
  const info = await discoverZone(plan.zone, {client, resolvers, timeoutMs})
  return info.nameservers
}

/**
 * The files beside the plan, under its lock: copies a killed run left
 * unrenamed removed, a torn journal tail set aside (and said once), the
 * journal, the plan's durable save, and the check that a change's outcome
 * can be recorded. With MXCUT_FAILPOINT the crash tests can stop the process
 * after any journal entry (journal:N) or before any rename (save:N).
 */
async function planFiles(paths: PlanPaths, ui: RunnerUi) {
  await removeStaleTemps(paths.plan)
  const repaired = await repairJournal(paths.journal)
  const failpoint = envFailpoint()
  const journal = withFailpoints(openJournal(paths.journal, {now: systemClock.now}), failpoint)
  if (repaired) {
    ui.warn(repaired)
    await journal.append({event: 'journal-repaired', message: repaired})
  }
  let planBytes = (await stat(paths.plan)).size
  let saves = 0
  return {
    journal,
    previousJournal: await readJournal(paths.journal),
    save: async (p: PlanState) => {
      const n = ++saves
      planBytes = await writePlanState(paths.plan, p, failpoint ? {beforeRename: () => failpoint(`save:${n}`)} : {})
    },
    ensureRecordable: roomCheck(paths.dir, () => planBytes),
    ...(failpoint ? {failpoint} : {}),
  }
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
    if (options.digest !== undefined) assertDigest(plan, options.digest, planPath)
    const config = plan.config
    // Before any host is built: whatever echoes a configured secret is cleaned of it.
    registerConfiguredSecrets(config)
    const timeoutMs = options.dns.timeout
    const client = createDnsClient({timeoutMs})
    const resolvers = parseResolvers(options.dns.resolver ?? config.resolvers ?? DEFAULT_RESOLVERS)
    const authServers = await authServersFor(plan, client, options.dns.nameserver ?? config.dns.nameservers, resolvers, timeoutMs)
    const interactive = isInteractive() && options.prompts !== false
    const write = options.write ?? ((t: string) => process.stdout.write(t))
    const prompter = interactive && !options.yes ? createPrompter() : null
    const host = createHost(config.dns, {
      zone: plan.zone,
      client,
      authServers,
      print: (text) => write(text.endsWith('\n') ? text : text + '\n'),
      ...(prompter ? {confirm: confirmPrompt} : {}),
      requestTimeoutMs: timeoutMs,
    })
    const interrupt = new AbortController()
    const ui = createUi({interactive, write})
    const files = await planFiles(paths, ui)
    const notifier = createNotifier(options.notify ?? config.notify ?? [], {domain: plan.domain, plan: paths.plan, planId: plan.id, next: options.resumeCommand ?? null}, {
      journal: files.journal,
      warn: options.warn ?? ((line) => process.stderr.write(`mxcut: warning: ${line}\n`)),
    })
    const deps = buildRunnerDeps({host, client, authServers, resolvers, timeoutMs, clock: systemClock, ui, prompter, interrupt: interrupt.signal, notify: (notice) => notifier.send(notice), ...files})
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
