import {canonicalName} from '../dns/names.js'
import {UserError} from '../lib/errors.js'
import {bounded} from '../lib/bounded.js'
import type {Profile, ProfileMx} from './types.js'

export type {Profile, ProfileMx, ProfileDkim} from './types.js'

/** contoso.co.uk → contoso-co-uk, as Exchange Online names the domain's MX host. */
export function dashed(domain: string): string {
  return canonicalName(domain).replace(/\./g, '-')
}

export const microsoft365: Profile = {
  id: 'microsoft365',
  name: 'Microsoft 365 (Exchange Online)',
  mx: (domain) => [{priority: 0, exchange: `${dashed(domain)}.mail.protection.outlook.com`}],
  alternativeMx: (domain) => [[{priority: 0, exchange: `${dashed(domain)}.l-v1.mx.microsoft`}]],
  spfInclude: 'spf.protection.outlook.com',
  autodiscover: {name: 'autodiscover', type: 'CNAME', value: 'autodiscover.outlook.com'},
  dkim: (domain) => [
    {selector: 'selector1', type: 'CNAME', value: `selector1-${dashed(domain)}._domainkey.<tenant>.onmicrosoft.com`},
    {selector: 'selector2', type: 'CNAME', value: `selector2-${dashed(domain)}._domainkey.<tenant>.onmicrosoft.com`},
  ],
  verificationPrefix: 'MS=',
  matchesExchange: (x) => /\.mail\.protection\.outlook\.com$|\.mx\.microsoft$/.test(canonicalName(x)),
  notes: [
    "The MX value shown in the Microsoft 365 admin center for your tenant wins over this default; newer tenants may get a DNSSEC-capable '*.mx.microsoft' host instead of '*.mail.protection.outlook.com'.",
  ],
}

const GOOGLE_LEGACY: ProfileMx[] = [
  {priority: 1, exchange: 'aspmx.l.google.com'},
  {priority: 5, exchange: 'alt1.aspmx.l.google.com'},
  {priority: 5, exchange: 'alt2.aspmx.l.google.com'},
  {priority: 10, exchange: 'alt3.aspmx.l.google.com'},
  {priority: 10, exchange: 'alt4.aspmx.l.google.com'},
]

export const googleWorkspace: Profile = {
  id: 'google-workspace',
  name: 'Google Workspace (Gmail)',
  mx: () => [{priority: 1, exchange: 'smtp.google.com'}],
  alternativeMx: () => [GOOGLE_LEGACY],
  spfInclude: '_spf.google.com',
  dkim: () => [{selector: 'google', type: 'TXT', value: 'v=DKIM1; k=rsa; p=… (from the Admin console: Apps › Gmail › Authenticate email)'}],
  verificationPrefix: 'google-site-verification=',
  matchesExchange: (x) => /(^|\.)google\.com$|(^|\.)googlemail\.com$/.test(canonicalName(x)),
  notes: ["Google's single 'smtp.google.com' MX replaces the five legacy ASPMX records; either set is valid."],
}

/** Everything comes from the config (target.mx, target.spfInclude, target.verification). */
export const custom: Profile = {
  id: 'custom',
  name: 'Custom provider (records from the config)',
  mx: () => [],
  spfInclude: null,
  dkim: () => [],
  verificationPrefix: null,
  matchesExchange: () => false,
  notes: ['Give target.mx (and optionally target.spfInclude and target.verification) in the config.'],
}

export const PROFILES: readonly Profile[] = [microsoft365, googleWorkspace, custom]

export function profileIds(): string[] {
  return PROFILES.map((p) => p.id)
}

export function getProfile(id: string): Profile {
  const key = id.trim().toLowerCase()
  const aliases: Record<string, string> = {m365: 'microsoft365', o365: 'microsoft365', office365: 'microsoft365', google: 'google-workspace', gws: 'google-workspace', gmail: 'google-workspace'}
  const found = PROFILES.find((p) => p.id === (aliases[key] ?? key))
  if (!found) throw new UserError(`unknown profile '${bounded(id)}': choose one of ${profileIds().join(', ')} (see: mxcut profiles)`)
  return found
}

/** The provider today's MX points at, or null when no profile recognises every exchange. */
export function detectProfile(exchanges: readonly string[]): Profile | null {
  const real = exchanges.filter((x) => x !== '.' && x !== '')
  if (real.length === 0) return null
  return PROFILES.find((p) => p.id !== 'custom' && real.every((x) => p.matchesExchange(x))) ?? null
}
