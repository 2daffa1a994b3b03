import type {RecordType} from 'dns-packet'
import {countLookups} from '../audit/spf.js'
import {createLookup, type LookupCache} from '../audit/lookup.js'
import {parseSpf} from '../audit/spf-record.js'
import type {Finding} from '../audit/types.js'
import type {DnsClient} from '../dns/client.js'
import {serverSoftware} from '../dns/identify.js'
import {parseServer, serverLabel, type DnsServer, type ServerSpec} from '../dns/server.js'
import {inspectDomain, type InspectReport} from '../zone/inspect.js'
import {questionKey, type Question} from '../zone/read.js'
import {txtTexts, type RRset} from '../zone/rrset.js'
import type {TenantRecords} from '../profiles/tenant.js'
import type {Config} from './config.js'
import {planCutover, type ObservedDomain} from './planner.js'
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

  // A dry run of the planner names the SPF record it would publish; that one is counted through DNS.
  const draft = planCutover(observed, config, options.now?.() ?? new Date())
  const spfChange = draft.steps.find((s) => s.id === 'publish-companions')?.changes?.find((c) => c.type === 'TXT' && c.name === report.domain)
  const candidate = txtTexts(spfChange?.after).find((t) => /^v=spf1( |$)/i.test(t))
  if (candidate && !txtTexts(spfChange?.before).includes(candidate)) {
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
      observed.spfCount = {record: candidate, lookups: count.lookups, problems: count.problems.map((p) => p.message)}
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

export {questionKey}
