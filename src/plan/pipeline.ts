import {auditConfigured, type AuditEnv} from '../audit/configured.js'
import {readTenantRecords} from '../profiles/microsoft-graph.js'
import type {Config} from './config.js'
import type {CutoverPlan} from './context.js'
import {observeDomain} from './observe.js'
import {preflightSettings, type PlanAuditOptions} from './plan-file.js'
import {planCutover} from './planner.js'
import {observeFromZone} from './observe-zone.js'
import {zoneFileNotes} from '../zone/load-zone.js'
import type {ZoneSnapshot} from '../zone/zone-file.js'

export interface PlanPipelineEnv extends AuditEnv {
  now: () => Date
  audit: PlanAuditOptions
  /** Reads the tenant's records (Microsoft Graph); injected by tests. */
  readTenant?: typeof readTenantRecords
  /** `mxcut plan` asks the servers what they run (version.bind); a rehearsal does not. */
  identifyServers?: boolean
}

/**
 * observe → audit → plan for one domain of a config: what `mxcut plan` does
 * against live DNS and `mxcut rehearse` against the sandbox. Changes nothing.
 */
export async function planDomain(domain: string, config: Config, env: PlanPipelineEnv): Promise<CutoverPlan> {
  // The tenant's own records come first: everything after (audit, plan, pre-flight) uses them.
  const graph = config.target.graph
  const tenant = graph ? await (env.readTenant ?? readTenantRecords)(domain, graph, {timeoutMs: Math.max(env.timeoutMs, 10_000)}) : null
  const settings = preflightSettings(config, domain, env.audit, tenant)
  const {observed} = await observeDomain(domain, config, {
    tenant,
    client: env.client,
    resolvers: env.resolvers,
    nameservers: env.nameservers,
    timeoutMs: env.timeoutMs,
    now: env.now,
    ...(env.identifyServers ? {identifyServers: true} : {}),
    ...(env.cache ? {cache: env.cache} : {}),
    ...(env.audit.audit ? {audit: (d: string) => auditConfigured(d, settings, env)} : {}),
  })
  return planCutover(observed, config, env.now())
}

/** The same plan from a zone file instead of live DNS (plan --zone): no audit, nothing read from the network. */
export function planDomainFromZone(domain: string, config: Config, snapshot: ZoneSnapshot, now: Date): CutoverPlan {
  const plan = planCutover(observeFromZone(snapshot, domain, config, now), config, now)
  plan.notes.push(...zoneFileNotes(snapshot))
  return plan
}
