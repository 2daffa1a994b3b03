import {canonicalName} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import {fillTemplate} from './template.js'
import type {TenantRecords} from './tenant.js'
import type {Profile, ProfileMx} from './types.js'

/**
 * A target provider's records for one domain: the config's values, then the
 * tenant's (Microsoft Graph), then the profile's documented values and
 * templates. A value the provider assigns per tenant is never derived: when
 * neither the config nor the tenant gives it, the result says what is
 * missing and where to copy it from.
 */

export interface TargetValues {
  /** The config's values for this domain. */
  mx?: MxData[]
  spfInclude?: string
  verification?: string
  /** false: leave DKIM out; a list: publish exactly these. */
  dkim?: false | Array<{selector: string; type: 'CNAME' | 'TXT'; value: string}>
  autodiscover?: boolean
  /** The profile's parameters (target.region). */
  parameters?: Record<string, string>
  /** What the tenant itself says (Microsoft Graph), when it was read. */
  tenant?: TenantRecords | null
}

export interface TargetProblem {
  code: 'TARGET_VALUE_MISSING' | 'TARGET_VALUE_CONFLICT'
  subject: string
  message: string
}

export interface ResolvedRecords {
  profile: Profile
  mx: MxData[]
  /** Where the MX came from. */
  mxSource: 'config' | 'tenant' | 'profile' | 'none'
  spfInclude: string | null
  /** The verification TXT: where it goes, its value when known, the prefix it starts with. */
  verification: {name: string; value: string | null; prefix: string | null; where: string | null} | null
  /** DKIM records ready to publish (every value known). */
  dkim: Array<{name: string; type: 'CNAME' | 'TXT'; value: string}>
  autodiscover: {name: string; type: 'CNAME'; value: string} | null
  /** What cannot be resolved without the admin (a blocker for the plan). */
  problems: TargetProblem[]
}

const mxText = (mx: readonly MxData[]) => mx.map((m) => `${m.priority} ${m.exchange}`).join(', ')
const sameMx = (a: readonly MxData[], b: readonly MxData[]) => a.length === b.length && mxText(sortMx(a)) === mxText(sortMx(b))
const sortMx = (mx: readonly MxData[]) => mx.map((m) => ({priority: m.priority, exchange: canonicalName(m.exchange)})).sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange))

function absolute(label: string, domain: string): string {
  return label === '@' ? canonicalName(domain) : `${canonicalName(label)}.${canonicalName(domain)}`
}

function missingParameters(profile: Profile, names: string[], what: string, domain: string): TargetProblem {
  const list = names.map((n) => {
    const p = profile.parameters[n]
    return p ? `target.${n} (${p.description}, e.g. ${p.examples[0]})` : `target.${n}`
  })
  return {code: 'TARGET_VALUE_MISSING', subject: `${domain} ${what}`, message: `the ${profile.name} ${what} of ${domain} depends on ${list.join(' and ')}: set it in the config`}
}

function resolveMx(profile: Profile, domain: string, v: TargetValues, problems: TargetProblem[]): Pick<ResolvedRecords, 'mx' | 'mxSource'> {
  const tenantMx = v.tenant?.mx.length ? sortMx(v.tenant.mx) : null
  if (v.mx && tenantMx && !sameMx(v.mx, tenantMx)) {
    problems.push({code: 'TARGET_VALUE_CONFLICT', subject: `${domain} MX`, message: `target.mx (${mxText(v.mx)}) differs from the MX ${v.tenant?.source} gives for ${domain} (${mxText(tenantMx)}): remove target.mx or correct it, then plan again`})
  }
  if (v.mx) return {mx: sortMx(v.mx), mxSource: 'config'}
  if (tenantMx) return {mx: tenantMx, mxSource: 'tenant'}
  const filled = profile.mx.records.map((r: ProfileMx) => ({priority: r.priority, exchange: fillTemplate(r.exchange, domain, v.parameters)}))
  const missing = filled.flatMap((r) => (r.exchange.ok ? [] : r.exchange.missing))
  if (missing.length > 0) {
    problems.push(missingParameters(profile, [...new Set(missing)], 'MX', domain))
    return {mx: [], mxSource: 'none'}
  }
  const mx = filled.flatMap((r) => (r.exchange.ok ? [{priority: r.priority, exchange: canonicalName(r.exchange.value)}] : []))
  return {mx, mxSource: mx.length > 0 ? 'profile' : 'none'}
}

function resolveSpf(profile: Profile, domain: string, v: TargetValues, problems: TargetProblem[]): string | null {
  const tenant = v.tenant?.spfInclude ? canonicalName(v.tenant.spfInclude) : null
  const configured = v.spfInclude ? canonicalName(v.spfInclude) : null
  if (configured && tenant && configured !== tenant) {
    problems.push({code: 'TARGET_VALUE_CONFLICT', subject: `${domain} TXT (SPF)`, message: `target.spfInclude (${configured}) differs from the SPF include ${v.tenant?.source} gives for ${domain} (${tenant}): remove target.spfInclude or correct it, then plan again`})
  }
  if (configured ?? tenant) return configured ?? tenant
  if (!profile.spf.include) return null
  const filled = fillTemplate(profile.spf.include, domain, v.parameters)
  if (!filled.ok) {
    problems.push(missingParameters(profile, filled.missing, 'SPF include', domain))
    return null
  }
  return canonicalName(filled.value)
}

function resolveVerification(profile: Profile, domain: string, v: TargetValues, problems: TargetProblem[]): ResolvedRecords['verification'] {
  const spec = profile.verification
  const tenant = v.tenant?.verification ?? null
  const configured = v.verification?.trim() || null
  if (configured && tenant && configured !== tenant) {
    problems.push({code: 'TARGET_VALUE_CONFLICT', subject: `${domain} TXT (verification)`, message: `target.verification (${configured}) differs from the verification TXT ${v.tenant?.source} gives for ${domain} (${tenant}): remove target.verification or correct it, then plan again`})
  }
  const value = configured ?? tenant
  if (!spec && !value) return null
  return {name: absolute(spec?.name ?? '@', domain), value, prefix: spec?.prefix ?? null, where: spec?.where ?? null}
}

function resolveDkim(profile: Profile, domain: string, v: TargetValues, problems: TargetProblem[]): ResolvedRecords['dkim'] {
  if (v.dkim === false) return []
  const toRecord = (selector: string, type: 'CNAME' | 'TXT', value: string) => ({name: `${selector}._domainkey.${canonicalName(domain)}`, type, value: type === 'CNAME' ? canonicalName(value) : value})
  if (Array.isArray(v.dkim)) return v.dkim.map((d) => toRecord(d.selector, d.type, d.value))
  const spec = profile.dkim
  if (!spec) return []
  const out: ResolvedRecords['dkim'] = []
  const assigned: string[] = []
  for (const r of spec.records) {
    const filled = r.selector && r.value ? fillTemplate(r.value, domain, v.parameters) : null
    if (r.selector && filled?.ok) out.push(toRecord(r.selector, r.type, filled.value))
    else if (filled && !filled.ok) problems.push(missingParameters(profile, filled.missing, 'DKIM records', domain))
    else assigned.push(r.selector ? `${r.selector}._domainkey ${r.type}` : `a ${r.type} whose selector ${profile.name} chooses`)
  }
  if (assigned.length > 0) {
    problems.push({
      code: 'TARGET_VALUE_MISSING',
      subject: `${domain} DKIM`,
      message: `${profile.name} assigns the DKIM records of ${domain} (${assigned.join(', ')}), so mxcut does not guess them: copy them from ${spec.where.replaceAll('DOMAIN', domain)} into target.dkim (selector, type, value), or set target.dkim: false to leave DKIM out of this plan`,
    })
    return []
  }
  return out
}

function resolveAutodiscover(profile: Profile, domain: string, v: TargetValues, problems: TargetProblem[]): ResolvedRecords['autodiscover'] {
  if (v.autodiscover === false) return null
  const spec = profile.autodiscover
  const tenant = v.tenant?.autodiscover ?? null
  if (!spec && !tenant) return null
  const name = absolute(spec?.name ?? 'autodiscover', domain)
  if (tenant) return {name, type: 'CNAME', value: canonicalName(tenant)}
  const filled = fillTemplate(spec?.value ?? '', domain, v.parameters)
  if (!filled.ok) {
    problems.push(missingParameters(profile, filled.missing, 'autodiscover CNAME', domain))
    return null
  }
  return {name, type: 'CNAME', value: canonicalName(filled.value)}
}

export function resolveRecords(profile: Profile, domain: string, values: TargetValues = {}): ResolvedRecords {
  const problems: TargetProblem[] = []
  const {mx, mxSource} = resolveMx(profile, domain, values, problems)
  return {
    profile,
    mx,
    mxSource,
    spfInclude: resolveSpf(profile, domain, values, problems),
    verification: resolveVerification(profile, domain, values, problems),
    dkim: resolveDkim(profile, domain, values, problems),
    autodiscover: resolveAutodiscover(profile, domain, values, problems),
    problems,
  }
}

/** The provider mail leaves: its SPF include, when the profile documents one that needs no parameter. */
export function sourceSpfInclude(profile: Profile | null, domain: string): string | null {
  if (!profile?.spf.include) return null
  const filled = fillTemplate(profile.spf.include, domain)
  return filled.ok ? canonicalName(filled.value) : null
}
