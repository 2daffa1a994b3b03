import {canonicalName} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import {expectedMx} from '../state/queries.js'
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

/**
 * The expected MX set is the after-state of the latest finished DNS change
 * that touched the domain's MX RRset (a rollback's included); before any such
 * change it is what the plan observed. The published TTL of the replaced set
 * is that change's before-TTL (normally the lowered TTL).
 */
export function expectationFromPlan(plan: PlanState): PlanExpectation {
  const {expected, publishedTtl, step} = expectedMx(plan)
  const config = plan.config
  return {
    domain: canonicalName(plan.domain),
    zone: plan.zone,
    expected,
    publishedTtl,
    source: step ? `after step '${step.id}' (${step.title})` : `as observed when the plan was made (${plan.observed.at}); no MX change has been applied yet`,
    ...(config.resolvers ? {resolvers: config.resolvers} : {}),
    ...(config.dns.nameservers.length > 0 ? {nameservers: config.dns.nameservers} : {}),
  }
}
