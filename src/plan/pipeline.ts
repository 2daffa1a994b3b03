import {auditConfigured, type AuditEnv} from '../audit/configured.js'
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
}

/**
 * observe → audit → plan for one domain of a config: what `mxcut plan` does
 * against live DNS and `mxcut rehearse` against the sandbox. Changes nothing.
 */
export async function planDomain(domain: string, config: Config, env: PlanPipelineEnv): Promise<CutoverPlan> {
  const settings = preflightSettings(config, domain, env.audit)
  const {observed} = await observeDomain(domain, config, {
    client: env.client,
    resolvers: env.resolvers,
    nameservers: env.nameservers,
    timeoutMs: env.timeoutMs,
    now: env.now,
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
