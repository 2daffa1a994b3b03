import type {RecordType} from 'dns-packet'
import {countLookups} from '../audit/spf.js'
import {createLookup, type LookupCache} from '../audit/lookup.js'
import {effectiveRedirect, mechanisms, parseSpf, type SpfRecord} from '../audit/spf-record.js'
import type {Finding} from '../audit/types.js'
import type {DnsClient} from '../dns/client.js'
import {serverSoftware} from '../dns/identify.js'
import {parseServer, serverLabel, type DnsServer, type ServerSpec} from '../dns/server.js'
import {inspectDomain, type InspectReport} from '../zone/inspect.js'
import {questionKey, type Question} from '../zone/read.js'
import {txtTexts, type RRset} from '../zone/rrset.js'
import type {TenantRecords} from '../profiles/tenant.js'
import type {Config} from './config.js'
import {SPF_LOOKUP_LIMIT, type SpfTermCost} from './context.js'
import {planCutover, type CutoverPlan, type ObservedDomain} from './planner.js'
import {resolveTarget} from './target.js'

export interface ObserveOptions {
  client: DnsClient
  resolvers: ServerSpec[]
  nameservers: DnsServer[]
  timeoutMs: number
  /** The audit's findings for the domain (null when it cannot run). */
  audit?: (domain: string) => Promise<Finding[] | null>
  /** Shared between the domains of one config, so a provider's SPF include is asked once. */
  cache?: LookupCache
  now?: () => Date
  /** What the tenant says the domain needs (Microsoft Graph), read before. */
  tenant?: TenantRecords | null
  /** Ask the servers what they run (version.bind), to explain in the review how a change travels; live plans only. */
  identifyServers?: boolean
}

/** The names besides the usual mail records that the plan may change for this target. */
export function planQuestions(config: Config, domain: string): Question[] {
  const target = resolveTarget(config, domain)
  const out: Question[] = [{name: domain, type: 'MX'}, {name: domain, type: 'TXT'}, {name: `_mta-sts.${domain}`, type: 'TXT'}]
  for (const d of target.dkim) out.push({name: d.name, type: d.type as RecordType})
  if (target.verificationName && target.verificationName !== domain) out.push({name: target.verificationName, type: 'TXT'})
  if (target.autodiscover) {
    out.push({name: target.autodiscover.name, type: 'CNAME'}, {name: target.autodiscover.name, type: 'A'}, {name: target.autodiscover.name, type: 'AAAA'})
  }
  return out
}

/**
 * Reads what the planner needs from every authoritative server (RD=0, the
 * TTLs as configured), runs the audit, and counts the DNS lookups of the SPF
 * record the plan would publish. Changes nothing.
 */
export async function observeDomain(domain: string, config: Config, options: ObserveOptions): Promise<{observed: ObservedDomain; inspect: InspectReport}> {
  const questions = planQuestions(config, domain)
  const {report, views} = await inspectDomain(domain, {
    client: options.client,
    resolvers: options.resolvers,
    nameservers: options.nameservers,
    timeoutMs: options.timeoutMs,
    extraQuestions: questions,
  })
  const ref = views.find((v) => v.reachable && v.authoritative)
  const rrsets: Record<string, RRset | null> = {}
  if (ref) {
    for (const [key, answer] of Object.entries(ref.answers)) rrsets[key] = answer.rrset
  }
  const findings = options.audit ? await options.audit(domain) : null
  const software = options.identifyServers
    ? await identifyServers(views.filter((v) => v.reachable && v.authoritative).map((v) => v.server), config, options.timeoutMs)
    : {byAddress: new Map<string, string | null>()}
  const observed: ObservedDomain = {
    domain: report.domain,
    zone: report.zone,
    at: (options.now?.() ?? new Date()).toISOString(),
    nameservers: report.nameservers.map((n) => ({
      name: n.name,
      address: n.address,
      port: n.port,
      serial: n.serial,
      reachable: n.reachable,
      authoritative: n.authoritative,
      ...(n.error ? {error: n.error} : {}),
      ...(software.byAddress.has(`${n.address}:${n.port}`) ? {software: software.byAddress.get(`${n.address}:${n.port}`) ?? null} : {}),
    })),
    ...(software.updateServer ? {updateServer: software.updateServer} : {}),
    soa: ref?.soa ?? null,
    mx: {ttl: report.mx.ttl, records: report.mx.records.map((m) => ({priority: m.priority, exchange: m.exchange}))},
    rrsets,
    disagreements: report.disagreements,
    findings: findings ?? [],
    audited: findings !== null,
    tenant: options.tenant ?? null,
    ...(report.dnssec ? {dnssec: {signed: report.dnssec.signed, state: report.dnssec.state}} : {}),
  }

  // A dry run of the planner names the SPF record it would publish (early, or in the swap update); that one is counted through DNS.
  const draft = planCutover(observed, config, options.now?.() ?? new Date())
  const candidate = publishedSpf(draft, report.domain)
  if (candidate) {
    const parsed = parseSpf(candidate)
    if (parsed.ok) {
      const lookup = createLookup({
        client: options.client,
        zone: report.zone,
        authoritative: views.filter((v) => v.reachable && v.authoritative).map((v) => v.server),
        resolvers: options.resolvers,
        timeoutMs: options.timeoutMs,
        cache: options.cache,
      })
      const count = await countLookups(lookup, parsed.record)
      const terms = count.lookups > SPF_LOOKUP_LIMIT ? await termCosts(lookup, parsed.record) : []
      observed.spfCount = {record: candidate, lookups: count.lookups, problems: count.problems.map((p) => p.message), ...(terms.length ? {terms} : {})}
    }
  }
  return {observed, inspect: report}
}

/**
 * What each authoritative server runs, and the server an rfc2136 host sends
 * its updates to (often a hidden primary): only to explain in the review how
 * a change travels (a PowerDNS primary NOTIFYs late). Skipped for a zone with one server.
 */
async function identifyServers(servers: DnsServer[], config: Config, timeoutMs: number): Promise<{byAddress: Map<string, string | null>; updateServer?: {label: string; software: string | null}}> {
  const byAddress = new Map<string, string | null>()
  if (servers.length < 2) return {byAddress}
  await Promise.all(servers.map(async (s) => byAddress.set(`${s.address}:${s.port}`, await serverSoftware(s, {timeoutMs: Math.min(timeoutMs, 1000)}))))
  const block = (config.dns as {rfc2136?: {server?: unknown}}).rfc2136
  if (config.dns.host !== 'rfc2136' || typeof block?.server !== 'string') return {byAddress}
  const spec = parseServer(block.server, 'dns.rfc2136.server')
  if (spec.kind !== 'dns') return {byAddress}
  const known = byAddress.get(`${spec.address}:${spec.port}`)
  return {byAddress, updateServer: {label: serverLabel(spec), software: known !== undefined ? known : await serverSoftware(spec, {timeoutMs: Math.min(timeoutMs, 1000)})}}
}

/** The SPF record a plan would publish that the domain does not publish today, wherever the plan puts it. */
function publishedSpf(plan: CutoverPlan, domain: string): string | null {
  const changes = plan.steps.filter((s) => !s.optional).flatMap((s) => s.changes ?? []).filter((c) => c.type === 'TXT' && c.name === domain)
  for (const c of changes.reverse()) {
    const spf = txtTexts(c.after).find((t) => /^v=spf1( |$)/i.test(t))
    if (spf && !txtTexts(c.before).includes(spf)) return spf
  }
  return null
}

/** What each DNS-querying term of a record costs, includes and redirect counted through (for a record over the limit). */
async function termCosts(lookup: Parameters<typeof countLookups>[0], record: SpfRecord): Promise<SpfTermCost[]> {
  const out: SpfTermCost[] = []
  for (const m of mechanisms(record)) {
    if (m.name === 'include' && m.domain) {
      const one = parseSpf(`v=spf1 include:${m.domain}`)
      out.push({term: `include:${m.domain}`, lookups: one.ok ? (await countLookups(lookup, one.record)).lookups : 1})
    } else if (['a', 'mx', 'ptr', 'exists'].includes(m.name)) {
      out.push({term: m.text.replace(/^[+?~-]/, ''), lookups: 1})
    }
  }
  const redirect = effectiveRedirect(record)
  if (redirect) {
    const one = parseSpf(`v=spf1 redirect=${redirect}`)
    out.push({term: `redirect=${redirect}`, lookups: one.ok ? (await countLookups(lookup, one.record)).lookups : 1})
  }
  return out.sort((a, b) => b.lookups - a.lookups)
}

export {questionKey}
