import type {Finding} from '../audit/types.js'
import {checkTrust} from './blockers.js'
import {addCleanup} from './cleanup.js'
import {noteGatewaySource} from './continuity.js'
import {planCompanions} from './companions.js'
import {createContext, type CutoverPlan, type ObservedDomain, type PlanContext} from './context.js'
import type {Config} from './config.js'
import {applyHostLimits} from './host-limits.js'
import {addPreparation} from './preparation.js'
import {planRollback} from './rollback.js'
import {estimateSchedule} from './schedule.js'
import {addSpfSwap} from './spf-swap.js'
import {addReplaceSteps} from './strategy-replace.js'
import {addStagedSteps} from './strategy-staged.js'

/**
 * The planner: a pure function of (observed DNS, config, clock). It never
 * reads DNS itself; everything it needs is in ObservedDomain, gathered by
 * src/plan/observe.ts, so the same arithmetic runs in tests with a fake clock.
 * Each concern of the plan lives in its own module; this is their order.
 */
export function planCutover(observed: ObservedDomain, config: Config, now: Date): CutoverPlan {
  const ctx = createContext(observed, config, now)
  checkTrust(ctx)
  const companions = planCompanions(ctx)
  const waitRules = addPreparation(ctx, companions)
  if (config.strategy === 'replace') addReplaceSteps(ctx, waitRules)
  else addStagedSteps(ctx, waitRules)
  addSpfSwap(ctx, companions)
  addCleanup(ctx, companions)
  noteGatewaySource(ctx)
  if (observed.dnssec?.signed) {
    ctx.notes.push(`${ctx.observed.zone} is DNSSEC-signed${observed.dnssec.state === 'secure' ? ' and validates' : ''}: each DNS change counts as done only when every authoritative server serves it with a valid signature, and verification records which resolvers validated the new MX (AD).`)
  }
  const {changeLagSeconds} = applyHostLimits(ctx)
  recordHandles(ctx)
  // Estimated times for the review: the run starting now, every wait running out exactly.
  const schedule = estimateSchedule(ctx.steps, now, {changeLagSeconds})
  for (const s of ctx.steps) s.estimatedStart = schedule.find((x) => x.id === s.id)?.start.toISOString()
  return assemble(ctx, planRollback(ctx))
}

/**
 * Each step names the findings it takes care of, whether or not the audit saw
 * them today: the pre-flight audits again at run time and must not stop on
 * what a later step fixes.
 */
function recordHandles(ctx: PlanContext): void {
  for (const h of ctx.handled) {
    const step = ctx.steps.find((s) => s.id === h.step)
    if (step && !step.handles?.includes(h.code)) step.handles = [...(step.handles ?? []), h.code]
  }
}

function assemble(ctx: PlanContext, rollback: CutoverPlan['rollback']): CutoverPlan {
  const {observed, target, source} = ctx
  return {
    domain: ctx.domain,
    zone: observed.zone,
    strategy: ctx.config.strategy,
    createdAt: ctx.now.toISOString(),
    target: {profile: target.profile.id, mx: ctx.targetMx, spfInclude: target.spfInclude, verification: target.verification, mxSource: target.mxSource},
    source: {profile: source.profile?.id ?? null, detected: source.detected},
    observed: {
      mx: {ttl: ctx.ttl.old, records: ctx.oldRecords},
      soa: observed.soa ? {...observed.soa} : null,
      nameservers: observed.nameservers.map((n) => ({name: n.name, address: n.address, port: n.port, serial: n.serial})),
      rrsets: [...ctx.touched.values()],
      at: observed.at,
    },
    findings: observed.findings,
    handled: dedupeHandled(ctx.handled, observed.findings),
    blockers: ctx.blockers,
    notes: ctx.notes,
    steps: ctx.steps,
    rollback,
    ttl: ctx.ttl,
    tenant: observed.tenant ?? null,
  }
}

function dedupeHandled(handled: CutoverPlan['handled'], findings: readonly Finding[]): CutoverPlan['handled'] {
  const seen = new Set<string>()
  return handled.filter((h) => {
    if (seen.has(h.code) || !findings.some((f) => f.code === h.code)) return false
    seen.add(h.code)
    return true
  })
}

export type {Blocker, CutoverPlan, ObservedDomain} from './context.js'
