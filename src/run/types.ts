import type {AddressProbeJson} from '../audit/mx-probe.js'
import type {Finding} from '../audit/types.js'
import type {DnsClient} from '../dns/client.js'
import type {MxData} from '../dns/records.js'
import type {DnsHost} from '../hosts/types.js'
import type {PlanState, PreflightSettings, Step} from '../state/schema.js'
import type {AuthServer} from '../zone/discover.js'
import type {Journal, JournalEntry} from './journal.js'
import type {RunNotice} from './notify.js'

/** Time as the runner sees it: the real clock, or the sandbox's simulated one. */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export type CheckpointAnswer = 'continue' | 'pause' | 'diff' | 'rollback' | 'abort'

export interface Choice {
  value: CheckpointAnswer
  name: string
  description?: string
}

/** Asks a person; null in the deps when nobody is there to ask (no TTY, CI). */
export interface Prompter {
  choose(message: string, choices: Choice[]): Promise<CheckpointAnswer>
}

export interface RunnerUi {
  /** A step begins: its heading. */
  step(step: Step, index: number, total: number): void
  info(line: string): void
  ok(line: string): void
  warn(line: string): void
  /** Shows a live countdown to `due` (local clock time) while `waiting` runs. */
  countdown(title: string, due: number, now: () => number, waiting: Promise<void>): Promise<void>
}

export interface VerifyInput {
  domain: string
  expected: MxData[]
  /** TTL the old MX RRset was published with (to tell a clamping resolver). */
  publishedTtl: number | null
  /** Give up at this time (clock ms). */
  deadline: number
  signal: AbortSignal
  onProgress?: (line: string) => void
}

export interface VerifyOutcome {
  converged: boolean
  timedOut: boolean
  aborted: boolean
  /** One line: how many resolvers were updated, what is still pending. */
  summary: string
  pending: string[]
  evidence: unknown
}

export type VerifyFn = (input: VerifyInput) => Promise<VerifyOutcome>

/** The audit the pre-flight runs again at run time, with the settings the plan recorded. */
export interface AuditInput {
  domain: string
  settings: PreflightSettings
}

export type AuditFn = (input: AuditInput) => Promise<Finding[]>

/** The MX hosts of one side of the cutover, probed as a sender would reach them (src/audit/mx-hosts.ts). */
export interface ProbeMxInput {
  domain: string
  /** The zone the domain is in: hosts inside it are read from its authoritative servers. */
  zone: string
  role: 'target' | 'source'
  hosts: MxData[]
}

export interface ProbedMxHost {
  priority: number
  exchange: string
  /** One entry per address, each its own SMTP session. */
  addresses: AddressProbeJson[]
  /** Why the host has no address: definite (NXDOMAIN, NODATA) or a lookup that failed. */
  unresolved?: {definite: boolean; message: string}
}

export type ProbeMxFn = (input: ProbeMxInput) => Promise<ProbedMxHost[]>

export interface Timing {
  /** How long to wait for every authoritative server to serve a change. Default 300 s. */
  convergeTimeoutMs: number
  /** First and longest pause between convergence polls. */
  pollMinMs: number
  pollMaxMs: number
  /** Per DNS query. */
  queryTimeoutMs: number
}

export const DEFAULT_TIMING: Timing = {convergeTimeoutMs: 300_000, pollMinMs: 100, pollMaxMs: 1000, queryTimeoutMs: 2000}

/** Everything the runner touches outside itself, injected so real runs, the sandbox and tests share one runner. */
export interface RunnerDeps {
  host: DnsHost
  client: DnsClient
  authServers: AuthServer[]
  clock: Clock
  ui: RunnerUi
  prompter: Prompter | null
  verify: VerifyFn
  /** The live audit of the pre-flight; without it a plan that asks for one stops there. */
  audit?: AuditFn
  /** SMTP probes of MX hosts (smtp-probe steps); without it those steps stop the run. */
  probeMx?: ProbeMxFn
  save(plan: PlanState): Promise<void>
  journal: Journal
  /** The journal as it was before this run: open intents of a crashed run are explained from it. */
  previousJournal?: JournalEntry[]
  /** Aborted on Ctrl-C: waits pause, a DNS change in flight finishes first. */
  interrupt?: AbortSignal
  /** Fault injection for crash tests (MXCUT_FAILPOINT); a no-op otherwise. */
  failpoint?: (name: string) => void
  timing?: Partial<Timing>
  /**
   * Throws (a one-line UserError) when the outcome of a DNS change could not
   * be recorded: the plan's disk has no room for the journal and the plan
   * file. Called before each change's intent; nothing is changed then.
   */
  ensureRecordable?: () => Promise<void>
  /** Tells a person (--notify); never waits for the notifier. */
  notify?: (notice: RunNotice) => void
}
