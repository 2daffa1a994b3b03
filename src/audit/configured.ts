import type {DnsClient} from '../dns/client.js'
import type {DnsServer, ServerSpec} from '../dns/server.js'
import {getProfile} from '../profiles/index.js'
import type {TargetValues} from '../profiles/resolve.js'
import type {PreflightSettings} from '../state/schema.js'
import {auditDomain} from './audit.js'
import type {LookupCache} from './lookup.js'
import type {Finding} from './types.js'

/** What a plan's audit is run with: the target and source it names, and whether the SMTP probe runs. */
export type AuditSettings = Omit<PreflightSettings, 'audit'>

export interface AuditEnv {
  client: DnsClient
  resolvers: ServerSpec[]
  nameservers: DnsServer[]
  timeoutMs: number
  /** Per SMTP reply and MTA-STS fetch; default the larger of timeoutMs and 5 s. */
  probeTimeoutMs?: number
  /** Shared between the domains of one config, so a provider's SPF include is asked once. */
  cache?: LookupCache
}

/** The target values a plan recorded for its audit, in the terms of the profile resolver. */
export function recordedTargetValues(t: PreflightSettings['target']): TargetValues {
  return {
    ...(t.mx ? {mx: t.mx} : {}),
    ...(t.spfInclude ? {spfInclude: t.spfInclude} : {}),
    ...(t.verification ? {verification: t.verification} : {}),
    ...(t.dkim !== undefined ? {dkim: t.dkim} : {}),
    ...(t.region ? {parameters: {region: t.region}} : {}),
    ...(t.autodiscover !== undefined ? {autodiscover: t.autodiscover} : {}),
  }
}

/**
 * The audit as a plan runs it: at planning time (mxcut plan, rehearse) and
 * again at the pre-flight, with the same target, source and probes, through
 * the given resolvers and authoritative servers.
 */
export async function auditConfigured(domain: string, settings: AuditSettings, env: AuditEnv): Promise<Finding[]> {
  const {report} = await auditDomain(domain, {
    client: env.client,
    resolvers: env.resolvers,
    nameservers: env.nameservers,
    timeoutMs: env.timeoutMs,
    cache: env.cache ?? new Map(),
    target: {
      profile: getProfile(settings.target.profile),
      overrides: recordedTargetValues(settings.target),
    },
    ...(settings.source === null ? {} : {source: getProfile(settings.source)}),
    smtp: settings.smtp,
    smtpPort: 25,
    probeTimeoutMs: env.probeTimeoutMs ?? Math.max(env.timeoutMs, 5000),
    ...(settings.httpsPort !== undefined ? {httpsPort: settings.httpsPort} : {}),
  })
  return report.findings
}
