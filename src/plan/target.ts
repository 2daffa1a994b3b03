import type {MxData} from '../dns/records.js'
import {detectProfile, getProfile, type Profile} from '../profiles/index.js'
import {resolveRecords, sourceSpfInclude, type ResolvedRecords, type TargetValues} from '../profiles/resolve.js'
import type {TenantRecords} from '../profiles/tenant.js'
import {configDomains, type Config} from './config.js'

/**
 * What the cutover moves a domain to: the config's values, then the
 * tenant's (Microsoft Graph, read by the pipeline), then the profile's
 * documented values. `problems` lists what only the admin can supply; the
 * planner turns each into a blocker.
 */
export interface ResolvedTarget extends Omit<ResolvedRecords, 'verification'> {
  /** The verification TXT value, when the config or the tenant gives it. */
  verification: string | null
  /** Where the verification TXT goes and the prefix the provider's values start with. */
  verificationName: string | null
  verificationPrefix: string | null
  verificationWhere: string | null
  /** True when the MX came from the config. */
  mxFromConfig: boolean
}

/** The config's values for one domain, in the terms of the profile resolver. */
export function targetValues(config: Config, domain: string, tenant?: TenantRecords | null): TargetValues {
  const entry = configDomains(config).find((d) => d.name === domain)
  const mx = entry?.mx ?? config.target.mx
  const verification = entry?.verification ?? config.target.verification
  return {
    ...(mx ? {mx} : {}),
    ...(verification ? {verification} : {}),
    ...(config.target.spfInclude ? {spfInclude: config.target.spfInclude} : {}),
    ...(config.target.dkim !== undefined ? {dkim: config.target.dkim} : {}),
    autodiscover: config.target.autodiscover,
    ...(config.target.region ? {parameters: {region: config.target.region}} : {}),
    ...(tenant ? {tenant} : {}),
  }
}

export function resolveTarget(config: Config, domain: string, tenant?: TenantRecords | null): ResolvedTarget {
  const profile = getProfile(config.target.profile)
  const r = resolveRecords(profile, domain, targetValues(config, domain, tenant))
  return {
    ...r,
    verification: r.verification?.value ?? null,
    verificationName: r.verification?.name ?? null,
    verificationPrefix: r.verification?.prefix ?? null,
    verificationWhere: r.verification?.where ?? null,
    mxFromConfig: r.mxSource === 'config',
  }
}

/** The provider mail leaves, and its SPF include (dropped by the cleanup). */
export interface ResolvedSource {
  profile: Profile | null
  detected: boolean
  spfInclude: string | null
}

/** The provider mail leaves: named in the config, or recognised from today's MX. */
export function resolveSource(config: Config, mx: readonly MxData[], domain = ''): ResolvedSource {
  if (config.source.profile !== 'auto') {
    const profile = getProfile(config.source.profile)
    return {profile, detected: false, spfInclude: config.source.spfInclude ?? sourceSpfInclude(profile, domain)}
  }
  const profile = detectProfile(mx.map((m) => m.exchange))
  return {profile, detected: profile !== null, spfInclude: config.source.spfInclude ?? sourceSpfInclude(profile, domain)}
}
