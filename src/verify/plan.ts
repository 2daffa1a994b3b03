import {z} from 'zod'
import {canonicalName} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import {UserError} from '../lib/errors.js'
import type {PlanState} from '../state/schema.js'

/** What `mxcut verify PLAN` checks, derived from the plan's progress. */
export interface PlanExpectation {
  domain: string
  zone: string
  expected: MxData[]
  /** TTL the replaced MX RRset was published with (clamp detection); null when unknown. */
  publishedTtl: number | null
  /** Where the expected set comes from, for the report header. */
  source: string
  /** The config's resolver and name-server choices, used when no flag overrides them. */
  resolvers?: string[]
  nameservers?: string[]
}

const configDnsSchema = z.looseObject({
  resolvers: z.array(z.string()).optional(),
  dns: z.looseObject({nameservers: z.array(z.string()).optional()}).optional(),
})

/**
 * The expected MX set is the after-state of the latest finished DNS change
 * that touched the domain's MX RRset; before any such change it is what the
 * plan observed. The published TTL of the replaced set is that change's
 * before-TTL (normally the lowered TTL).
 */
export function expectationFromPlan(plan: PlanState): PlanExpectation {
  const domain = canonicalName(plan.domain)
  const config = configDnsSchema.safeParse(plan.config)
  const fromConfig = config.success
    ? {
        ...(config.data.resolvers ? {resolvers: config.data.resolvers} : {}),
        ...(config.data.dns?.nameservers?.length ? {nameservers: config.data.dns.nameservers} : {}),
      }
    : {}
  for (let i = plan.steps.length - 1; i >= 0; i--) {
    const step = plan.steps[i]
    if (step.kind !== 'dns-change' || step.status !== 'done') continue
    const change = (step.changes ?? []).find((c) => c.type === 'MX' && canonicalName(c.name) === domain)
    if (!change) continue
    const expected = (change.after?.records ?? []).map((r) => asMx(r, plan, step.id))
    return {
      domain,
      zone: plan.zone,
      expected,
      publishedTtl: change.before?.ttl ?? plan.observed.mx.ttl,
      source: `after step '${step.id}' (${step.title})`,
      ...fromConfig,
    }
  }
  return {
    domain,
    zone: plan.zone,
    expected: plan.observed.mx.records,
    publishedTtl: plan.observed.mx.ttl,
    source: `as observed when the plan was made (${plan.observed.at}); no MX change has been applied yet`,
    ...fromConfig,
  }
}

function asMx(record: unknown, plan: PlanState, stepId: string): MxData {
  const parsed = z.object({priority: z.number(), exchange: z.string()}).safeParse(record)
  if (!parsed.success) throw new UserError(`plan for ${plan.domain}: step '${stepId}' has an MX change whose records are not MX data`)
  return {priority: parsed.data.priority, exchange: parsed.data.exchange}
}
