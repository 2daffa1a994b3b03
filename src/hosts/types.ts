import type {z} from 'zod'
import type {DnsClient} from '../dns/client.js'
import {UserError} from '../lib/errors.js'
import type {AuthServer} from '../zone/discover.js'
import type {RecordData} from '../zone/rrset.js'

/**
 * One RRset-level change. `replace` sets the whole RRset (name, type) to
 * exactly `records` at `ttl`; `delete` removes the RRset. `expect` is the
 * RRset the planner saw before the change (null: absent): hosts that can
 * (RFC 2136 prerequisites) refuse to act when live data differs.
 */
export type RecordChange =
  | {action: 'replace'; name: string; type: string; ttl: number; records: RecordData[]; expect?: ExpectedRRset | null}
  | {action: 'delete'; name: string; type: string; expect?: ExpectedRRset | null}

export interface ExpectedRRset {
  ttl: number
  records: RecordData[]
}

/**
 * auth: credentials refused; zone-not-found: the host does not serve the zone;
 * rate-limited: try again later; conflict: live data is not what the plan
 * read (someone else changed it); unreachable: no answer; rejected: the host
 * refused the change itself; not-supported: cannot be done with this host;
 * timeout: a manual change did not appear in time; cancelled: the admin said no.
 */
export type DnsHostErrorKind =
  | 'auth'
  | 'zone-not-found'
  | 'rate-limited'
  | 'conflict'
  | 'unreachable'
  | 'rejected'
  | 'not-supported'
  | 'timeout'
  | 'cancelled'

/**
 * Typed failure of a DNS host; the message is one line a user can act on and
 * never holds a secret. A UserError, so commands print it as one line, exit 2.
 */
export class DnsHostError extends UserError {
  readonly kind: DnsHostErrorKind
  constructor(kind: DnsHostErrorKind, message: string, options: {cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'DnsHostError'
    this.kind = kind
  }
}

export interface DnsHost {
  /** Its module's name: the value of dns.host. */
  name: string
  /** True when apply() lands all changes together or none (one UPDATE message, one change batch). */
  atomic: boolean
  read(name: string, type: string): Promise<import('../zone/rrset.js').RRset | null>
  apply(changes: RecordChange[]): Promise<void>
  /**
   * Proves the credentials and the zone without changing anything, so a run
   * can refuse before it touches the plan (a wrong key found only at the
   * first change would leave a half-started run). Throws DnsHostError; hosts
   * with nothing to check leave it out.
   */
  check?(): Promise<void>
}

/** What createHost gets from its caller; each host takes the part it needs. */
export interface HostDeps {
  /** The zone the changes belong to (from discovery or the config). */
  zone: string
  client: DnsClient
  /** The zone's authoritative servers; the manual host watches them. */
  authServers: AuthServer[]
  /** Where the manual host writes its instructions. */
  print: (text: string) => void
  /** Present when someone can answer (a TTY without --yes). */
  confirm?: (message: string) => Promise<boolean>
  /** Manual host and Route 53 polling. */
  pollIntervalMs?: number
  /** How long the manual host waits for a change to appear, or Route 53 for INSYNC. */
  timeoutMs?: number
  /** After a person says the change is made: how long the manual host looks for it before saying what is missing (default 20 s). */
  graceMs?: number
  /** Per request to a DNS server or API. */
  requestTimeoutMs?: number
}

/**
 * One `mxcut init` question of a host. Every question is also a flag of
 * `mxcut init`, so a wizard answer can be scripted; flags are unique across hosts.
 */
export interface InitQuestion {
  /** The flag without its dashes, e.g. tsig-secret. */
  flag: string
  /** The flag's line in `mxcut init --help`, after "HOST: ". */
  help: string
  /** What a terminal asks. */
  message: string
  default?: string
  /** A valid answer, for a question without a default: it shows the form, and lets the registry test prove the questions fit the schema. */
  example?: string
  /** The answer names a secret: it must be a reference (env:NAME or file:PATH), never the value. */
  secret?: boolean
}

/** What the host's `dns.<name>` block reads as, and what its factory gets once the block has passed the schema. */
type SettingsInput<S> = S extends z.ZodType ? z.input<S> : null
type SettingsOutput<S> = S extends z.ZodType ? z.output<S> : null

/**
 * A DNS host, as one module in src/hosts/providers/ (its `export default`).
 * The registry finds it there; the config schema, `mxcut init` and
 * createHost all read it from the registry, so adding a host is one file.
 */
export interface HostModule<S extends z.ZodType | null = z.ZodType | null> {
  /** The value of dns.host, the name of its settings block, and the module's file name. */
  name: string
  /** Its line in the init menu. */
  label: string
  /** The schema of dns.<name>; null when the host takes no settings. */
  settings: S
  limits: {
    /** The smallest TTL the host accepts, in seconds. */
    minTtl: number
  }
  init: {
    questions: readonly InitQuestion[]
    /** The dns.<name> block from the answers, keyed by flag; the schema must accept it. */
    settings(answers: Readonly<Record<string, string>>): SettingsInput<S>
  }
  /**
   * What the plan's review should tell about these settings before anything is
   * sent (a deprecated algorithm, how the host makes a change live); each a sentence.
   */
  notes?(settings: SettingsOutput<S>): string[]
  /** The host, from settings the schema has already checked. Secrets are read on first use. */
  create(settings: SettingsOutput<S>, deps: HostDeps): DnsHost
}
