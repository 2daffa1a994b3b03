import {canonicalName} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import {detectProfile, getProfile, type Profile} from '../profiles/index.js'
import {configDomains, type Config} from './config.js'

/** What the cutover moves a domain to, with the config's values resolved over the profile's defaults. */
export interface ResolvedTarget {
  profile: Profile
  mx: MxData[]
  /** True when mx came from the config (the tenant's own value), false for the profile default. */
  mxFromConfig: boolean
  verification: string | null
  spfInclude: string | null
  /** DKIM records ready to publish (no placeholder left). */
  dkim: Array<{name: string; type: 'CNAME' | 'TXT'; value: string}>
  /** DKIM the profile asks for that the plan cannot publish, with the reason. */
  dkimMissing: string | null
  autodiscover: {name: string; type: 'CNAME'; value: string} | null
}

export function resolveTarget(config: Config, domain: string): ResolvedTarget {
  const profile = getProfile(config.target.profile)
  const entry = configDomains(config).find((d) => d.name === domain)
  const configured = entry?.mx ?? config.target.mx
  const mx = (configured ?? profile.mx(domain)).map((m) => ({priority: m.priority, exchange: canonicalName(m.exchange)}))
  let dkim: ResolvedTarget['dkim'] = []
  let dkimMissing: string | null = null
  if (Array.isArray(config.target.dkim)) {
    dkim = config.target.dkim.map((d) => ({name: `${d.selector}._domainkey.${domain}`, type: d.type, value: d.type === 'CNAME' ? canonicalName(d.value) : d.value}))
  } else if (config.target.dkim !== false) {
    const wanted = profile.dkim(domain)
    const tenant = config.target.tenant
    const filled = wanted.map((d) => ({...d, value: tenant ? d.value.replace('<tenant>', tenant.replace(/\.onmicrosoft\.com$/i, '')) : d.value}))
    if (filled.length > 0 && filled.every((d) => !d.value.includes('<') && !d.value.includes('…'))) {
      dkim = filled.map((d) => ({name: `${d.selector}._domainkey.${domain}`, type: d.type, value: d.type === 'CNAME' ? canonicalName(d.value) : d.value}))
    } else if (filled.length > 0) {
      dkimMissing = filled.some((d) => d.value.includes('<tenant>'))
        ? `the DKIM CNAMEs (${filled.map((d) => d.selector).join(', ')}) need the tenant name: set target.tenant (e.g. contoso for contoso.onmicrosoft.com) or list them in target.dkim`
        : `the DKIM key (${filled.map((d) => d.selector).join(', ')}) comes from the provider's admin console: list it in target.dkim to have the plan publish it`
    }
  }
  const autodiscover = config.target.autodiscover && profile.autodiscover
    ? {name: `${profile.autodiscover.name}.${domain}`, type: 'CNAME' as const, value: canonicalName(profile.autodiscover.value)}
    : null
  return {
    profile,
    mx,
    mxFromConfig: configured !== undefined,
    verification: entry?.verification ?? config.target.verification ?? null,
    spfInclude: config.target.spfInclude ?? profile.spfInclude,
    dkim,
    dkimMissing,
    autodiscover,
  }
}

/** The provider mail leaves, and its SPF include (dropped by the cleanup). */
export interface ResolvedSource {
  profile: Profile | null
  detected: boolean
  spfInclude: string | null
}

/** The provider mail leaves: named in the config, or recognised from today's MX. */
export function resolveSource(config: Config, mx: readonly MxData[]): ResolvedSource {
  if (config.source.profile !== 'auto') {
    const profile = getProfile(config.source.profile)
    return {profile, detected: false, spfInclude: config.source.spfInclude ?? profile.spfInclude}
  }
  const profile = detectProfile(mx.map((m) => m.exchange))
  return {profile, detected: profile !== null, spfInclude: config.source.spfInclude ?? profile?.spfInclude ?? null}
}
