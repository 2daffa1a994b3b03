import {auditTarget, redactedConfig, type Config} from './config.js'
import type {CutoverPlan} from './planner.js'
import {planStateSchema, type PlanState, type PreflightSettings} from '../state/schema.js'

/** How the plan's audit ran (mxcut plan --no-audit, --smtp): the pre-flight repeats it the same way at run time. */
export interface PlanAuditOptions {
  audit: boolean
  smtp: boolean
  httpsPort?: number
}

/** The plan state file of one domain: the planner's steps with the observed state and the config (secrets as references). */
export function toPlanState(plan: CutoverPlan, config: Config, configPath?: string, audit: PlanAuditOptions = {audit: true, smtp: false}): PlanState {
  const target = auditTarget(config, plan.domain)
  const preflight: PreflightSettings = {
    audit: audit.audit,
    target,
    source: config.source.profile === 'auto' ? null : config.source.profile,
    smtp: audit.smtp,
    ...(audit.httpsPort !== undefined ? {httpsPort: audit.httpsPort} : {}),
  }
  const state: PlanState = {
    version: 1,
    id: `${plan.domain}-${plan.createdAt.replace(/[^0-9]/g, '').slice(0, 14)}`,
    domain: plan.domain,
    zone: plan.zone,
    createdAt: plan.createdAt,
    strategy: plan.strategy,
    ...(configPath ? {configPath} : {}),
    observed: plan.observed,
    config: {...redactedConfig(config), domain: plan.domain},
    findings: plan.findings.map((f) => ({code: f.code, severity: f.severity, message: f.message, subject: f.subject})),
    preflight,
    steps: plan.steps,
  }
  return planStateSchema.parse(state)
}
