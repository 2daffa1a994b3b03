import {auditTarget, recordedConfig, type Config} from './config.js'
import type {CutoverPlan} from './context.js'
import {planDigest} from '../state/digest.js'
import type {TenantRecords} from '../profiles/tenant.js'
import {planStateSchema, type PlanState, type PreflightSettings} from '../state/schema.js'

/** How the plan's audit ran (mxcut plan --no-audit, --smtp): the pre-flight repeats it the same way at run time. */
export interface PlanAuditOptions {
  audit: boolean
  smtp: boolean
  httpsPort?: number
}

/** How one domain of the config is audited, at planning time and again at the pre-flight. */
export function preflightSettings(config: Config, domain: string, audit: PlanAuditOptions, tenant?: TenantRecords | null): PreflightSettings {
  return {
    audit: audit.audit,
    target: auditTarget(config, domain, tenant),
    source: config.source.profile === 'auto' ? null : config.source.profile,
    smtp: audit.smtp,
    ...(audit.httpsPort !== undefined ? {httpsPort: audit.httpsPort} : {}),
  }
}

/** The plan state file of one domain: the planner's steps with the observed state and the config (secrets as references). */
export function toPlanState(plan: CutoverPlan, config: Config, configPath?: string, audit: PlanAuditOptions = {audit: true, smtp: false}): PlanState {
  const preflight = preflightSettings(config, plan.domain, audit, plan.tenant)
  const state: PlanState = {
    version: 1,
    id: `${plan.domain}-${plan.createdAt.replace(/[^0-9]/g, '').slice(0, 14)}`,
    domain: plan.domain,
    zone: plan.zone,
    createdAt: plan.createdAt,
    strategy: plan.strategy,
    ...(configPath ? {configPath} : {}),
    observed: plan.observed,
    config: {...recordedConfig(config), domain: plan.domain},
    findings: plan.findings.map((f) => ({code: f.code, severity: f.severity, message: f.message, subject: f.subject})),
    preflight,
    steps: plan.steps,
    rollbackPlan: plan.rollback,
  }
  const parsed = planStateSchema.parse(state)
  // What the reviewer approves: the digest covers the steps and rollback as the file holds them.
  return {...parsed, digest: planDigest(parsed)}
}
