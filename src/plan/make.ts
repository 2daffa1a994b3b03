import {resolve} from 'node:path'
import type {LookupCache} from '../audit/lookup.js'
import {createDnsClient} from '../dns/client.js'
import {dnsSettings, type DnsFlagValues} from '../dns/settings.js'
import {UserError} from '../lib/errors.js'
import {registerConfiguredSecrets} from '../lib/secrets.js'
import {planDigest} from '../state/digest.js'
import {assertReplaceable, defaultPlanPath, writePlanFile} from '../state/file.js'
import {loadZoneFile} from '../zone/load-zone.js'
import {configDomains, loadConfig, type Config} from './config.js'
import type {CutoverPlan} from './context.js'
import {planDomain, planDomainFromZone} from './pipeline.js'
import {toPlanState, type PlanAuditOptions} from './plan-file.js'
import {planJson, renderMarkdown, renderText, type PlanJson} from './render.js'

export interface MakePlansOptions {
  configPath: string
  /** A plan file, or a directory when the config has several domains. */
  out?: string
  format: 'text' | 'md' | 'json'
  force: boolean
  audit: PlanAuditOptions
  dns: DnsFlagValues
  /** Zone files to plan from instead of live DNS: one, or one per domain of the config in its order. */
  zones?: string[]
}

export interface MadePlans {
  json: {plans: PlanJson[]; refused: number}
  /** The review in the format asked for. */
  review: string
  /** One line naming the refusals, or null when every plan was written. */
  refusal: string | null
}

/**
 * `mxcut plan`: each domain of the config read from its authoritative
 * servers, audited and planned; the plans that are not refused written
 * atomically (never over a plan in progress unless forced). Changes no DNS.
 */
export async function makePlans(o: MakePlansOptions): Promise<MadePlans> {
  const config = await loadConfig(o.configPath)
  // Whatever echoes a configured secret (a tenant API, a DNS host) is cleaned of it in every output.
  registerConfiguredSecrets(config)
  const settings = dnsSettings(o.dns, {resolvers: config.resolvers, nameservers: config.dns.nameservers})
  const client = createDnsClient({timeoutMs: settings.timeoutMs})
  const domains = configDomains(config)
  const cache: LookupCache = new Map()
  const plans: PlanJson[] = []
  const reviews: string[] = []
  const refused: CutoverPlan[] = []
  const zones = o.zones ?? []
  if (zones.length > 0 && zones.length !== domains.length) {
    throw new UserError(`--zone given ${zones.length} time${zones.length === 1 ? '' : 's'} for ${domains.length} domains: give one zone file per domain of the config, in its order (${domains.map((d) => d.name).join(', ')})`)
  }
  for (const [i, entry] of domains.entries()) {
    const now = new Date()
    const plan = zones.length > 0 ? planDomainFromZone(entry.name, config, await loadZoneFile(zones[i], entry.name), now) : await planDomain(entry.name, config, {...settings, client, cache, now: () => now, audit: o.audit, identifyServers: true})
    const written = plan.blockers.length === 0 ? await writePlan(plan, config, o, domains.length > 1) : null
    if (!written) refused.push(plan)
    const renderOptions = {planFile: written?.planFile ?? null, digest: written?.digest ?? null, now}
    plans.push(planJson(plan, renderOptions))
    if (o.format === 'md') reviews.push(renderMarkdown(plan, renderOptions))
    else if (o.format === 'text') reviews.push(renderText(plan, renderOptions))
  }
  const json = {plans, refused: refused.length}
  const review = o.format === 'json' ? JSON.stringify(json, null, 2) : reviews.join(o.format === 'md' ? '\n---\n\n' : '\n\n')
  const codes = refused.flatMap((p) => p.blockers.map((b) => b.code)).join(', ')
  const refusal = refused.length === 0 ? null : `${refused.length === domains.length ? 'plan refused' : `${refused.length} of ${domains.length} plans refused`}: ${codes} (see the review)`
  return {json, review, refusal}
}

async function writePlan(plan: CutoverPlan, config: Config, o: MakePlansOptions, several: boolean): Promise<{planFile: string; digest: string}> {
  const planFile = o.out ? (several ? defaultPlanPath(plan.domain, o.out) : o.out) : defaultPlanPath(plan.domain)
  if (!o.force) await assertReplaceable(planFile)
  // The servers used now are the ones the run must read too (a lab, a split-horizon network).
  const effective = {
    ...config,
    dns: {...config.dns, nameservers: o.dns.nameserver ?? config.dns.nameservers},
    ...(o.dns.resolver ? {resolvers: o.dns.resolver} : {}),
  }
  const state = toPlanState(plan, effective, resolve(o.configPath), o.audit)
  await writePlanFile(planFile, state)
  return {planFile, digest: state.digest ?? planDigest(state)}
}
