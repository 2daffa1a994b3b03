import type {Finding} from '../audit/types.js'
import type {TenantRecords} from '../profiles/tenant.js'
import {canonicalName} from '../dns/names.js'
import {copyRecordData, type MxData, type SoaData} from '../dns/records.js'
import type {MxRecord, Observed, RRsetJson, RollbackPlan, Step} from '../state/schema.js'
import {questionKey} from '../zone/read.js'
import type {RRset} from '../zone/rrset.js'
import type {Config} from './config.js'
import {resolveSource, resolveTarget, type ResolvedSource, type ResolvedTarget} from './target.js'

/**
 * What the planner works on: the observed domain, the config and the clock,
 * plus what the concerns of the plan (trust, companions, strategy, cleanup,
 * rollback) add to it as they run, in that order.
 */

export const SPF_LOOKUP_LIMIT = 10

/** What one term of an SPF record costs in DNS lookups, its includes counted through (RFC 7208 §4.6.4). */
export interface SpfTermCost {
  term: string
  lookups: number
}

/** The steps that swap the MX (replace, staged): the update an SPF swap rides along with. */
export const SWAP_STEP_IDS: readonly string[] = ['swap-mx', 'promote-target']

/** What the authoritative servers of one domain served when the plan was made. */
export interface ObservedDomain {
  domain: string
  zone: string
  /** ISO time of the observation. */
  at: string
  /** `software`: what the server said it runs (version.bind), null when it would not say; absent when not asked. */
  nameservers: Array<{name: string; address: string; port: number; serial: number | null; reachable: boolean; authoritative: boolean; error?: string; software?: string | null}>
  /** The server changes are sent to, when the DNS host names one (rfc2136) and it was asked what it runs. */
  updateServer?: {label: string; software: string | null}
  soa: (SoaData & {ttl: number}) | null
  mx: {
    /** The largest TTL any authoritative server gave the MX RRset (null: no MX). */
    ttl: number | null
    records: MxData[]
  }
  /** RRsets by questionKey(name, type), as the first authoritative server served them; null: asked, absent. */
  rrsets: Record<string, RRset | null>
  /** Where reachable authoritative servers disagree (SOA serial or an RRset). */
  disagreements: Array<{subject: string; values: Array<{server: string; value: string}>}>
  /** The audit's findings; audited false when no audit ran. */
  findings: Finding[]
  audited: boolean
  /** The SPF record the plan would publish, counted through DNS by the caller (RFC 7208 §4.6.4). */
  /** What the target's tenant says the domain needs (Microsoft Graph), when the config asks to read it. */
  tenant?: TenantRecords | null
  /** Whether the zone is DNSSEC-signed and how validating resolvers see it (inspect's verdict). */
  dnssec?: {signed: boolean; state: 'unsigned' | 'secure' | 'insecure' | 'bogus' | 'unknown'}
  spfCount?: {record: string; lookups: number; problems: string[]; terms?: SpfTermCost[]} | null
}

export interface Blocker {
  code: string
  subject: string
  message: string
}

export interface PlanTtls {
  old: number | null
  lowered: number
  swap: number
  final: number
  negative: number | null
  margin: number
}

export interface CutoverPlan {
  domain: string
  zone: string
  strategy: 'replace' | 'staged'
  createdAt: string
  target: {profile: string; mx: MxRecord[]; spfInclude: string | null; verification: string | null; mxSource: 'config' | 'tenant' | 'profile' | 'none'}
  source: {profile: string | null; detected: boolean}
  observed: Observed
  findings: Finding[]
  /** Findings the plan itself takes care of, and the step that does. */
  handled: Array<{code: string; step: string}>
  blockers: Blocker[]
  notes: string[]
  steps: Step[]
  /** The rollback, stored in the plan and run as stored by mxcut rollback. */
  rollback: RollbackPlan
  ttl: PlanTtls
  /** What the target's tenant said (Microsoft Graph), when it was read: the pre-flight audits with these values. */
  tenant: TenantRecords | null
}

export interface PlanContext {
  domain: string
  observed: ObservedDomain
  config: Config
  now: Date
  target: ResolvedTarget
  source: ResolvedSource
  ttl: PlanTtls
  /** Today's MX RRset and records (sorted), and the target's. */
  oldMx: RRset | null
  oldRecords: MxRecord[]
  targetMx: MxRecord[]
  nullMx: boolean
  blockers: Blocker[]
  notes: string[]
  handled: Array<{code: string; step: string}>
  steps: Step[]
  /** RRsets the plan touches, as observed: recorded so rehearsals start from them. */
  touched: Map<string, {name: string; type: string; rrset: RRsetJson | null}>
  get(name: string, type: string): RRset | null
  touch(name: string, type: string): void
  block(code: string, subject: string, message: string): void
  add(step: Omit<Step, 'status'>): void
}

/** RFC 2308 §5: a resolver caches "no such record" for min(SOA MINIMUM, TTL of the SOA). */
export function negativeTtl(soa: {minimum: number; ttl: number} | null): number | null {
  return soa ? Math.min(soa.minimum, soa.ttl) : null
}

export const mxJson = (records: readonly MxData[]): MxRecord[] =>
  [...records]
    .map((r) => ({priority: r.priority, exchange: canonicalName(r.exchange)}))
    .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))

export function rrsetJson(set: RRset): RRsetJson {
  return {name: set.name, type: set.type, ttl: set.ttl, records: set.records.map(copyRecordData)}
}

export function mxLines(records: readonly MxData[]): string {
  return records.length === 0 ? '(none)' : mxJson(records).map((m) => `${m.priority} ${m.exchange}`).join(', ')
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

export function createContext(observed: ObservedDomain, config: Config, now: Date): PlanContext {
  const domain = canonicalName(observed.domain)
  const target = resolveTarget(config, domain, observed.tenant)
  const oldTtl = observed.mx.ttl
  const lowered = config.ttl.lowered
  const oldRecords = mxJson(observed.mx.records)
  const get = (name: string, type: string): RRset | null => observed.rrsets[questionKey(name, type)] ?? null
  const ctx: PlanContext = {
    domain,
    observed,
    config,
    now,
    target,
    source: resolveSource(config, observed.mx.records, domain),
    ttl: {
      old: oldTtl,
      lowered,
      swap: oldTtl === null ? lowered : Math.min(oldTtl, lowered),
      final: config.ttl.final ?? oldTtl ?? 3600,
      negative: negativeTtl(observed.soa),
      margin: config.ttl.margin,
    },
    oldMx: get(domain, 'MX'),
    oldRecords,
    targetMx: mxJson(target.mx),
    nullMx: oldRecords.length === 1 && oldRecords[0].exchange === '.',
    blockers: [],
    notes: [],
    handled: [],
    steps: [],
    touched: new Map(),
    get,
    touch(name, type) {
      const set = get(name, type)
      ctx.touched.set(questionKey(name, type), {name: canonicalName(name), type, rrset: set ? rrsetJson(set) : null})
    },
    block(code, subject, message) {
      if (!ctx.blockers.some((b) => b.code === code && b.subject === subject)) ctx.blockers.push({code, subject, message})
    },
    add(step) {
      ctx.steps.push({status: 'pending', ...step})
    },
  }
  return ctx
}

/** The MX RRset of the domain with these records at this TTL, as a plan change holds it. */
export function mxSet(ctx: PlanContext, records: MxRecord[], ttl: number): RRsetJson {
  return {name: ctx.domain, type: 'MX', ttl, records}
}
