import {mkdir, readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {UserError} from '../lib/errors.js'
import {writePlanState} from '../run/state-file.js'
import {auditTarget, redactedConfig, type Config} from './config.js'
import type {CutoverPlan} from './planner.js'
import {planStateSchema, type PlanState, type PreflightSettings} from './state.js'

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

/** plans/contoso.com.plan.json, or beside --out when several domains share a directory. */
export function defaultPlanPath(domain: string, dir = 'plans'): string {
  return join(dir, `${domain}.plan.json`)
}

/**
 * Refuses to overwrite a plan that has started: its state is the only record
 * of what was changed, and rollback depends on it.
 */
export async function assertReplaceable(path: string): Promise<void> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new UserError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}) to check it before replacing it`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new UserError(`${path} exists and is not a plan file; give another --out, or move it away`)
  }
  const parsed = planStateSchema.safeParse(data)
  if (!parsed.success) throw new UserError(`${path} exists and is not a valid plan file; give another --out, or move it away`)
  const started = parsed.data.steps.find((s) => s.status !== 'pending')
  if (started) {
    throw new UserError(`${path} is a plan in progress (step ${started.id} is ${started.status}); finish or roll it back, or give --out for a new file (--force replaces it)`)
  }
}

export async function writePlanFile(path: string, state: PlanState): Promise<void> {
  await mkdir(dirname(path) || '.', {recursive: true})
  await writePlanState(path, state)
}
