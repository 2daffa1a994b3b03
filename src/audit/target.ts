import {UserError} from '../lib/errors.js'
import type {Profile} from '../profiles/index.js'
import {resolveRecords, type ResolvedRecords, type TargetValues} from '../profiles/resolve.js'
import {finding} from './codes.js'
import {describeStatus, isDefinite, type LookupFn} from './lookup.js'
import {probeMxHosts, type MxHostReport} from './mx-hosts.js'
import {describeProbe} from './smtp.js'
import type {Finding} from './types.js'

/** What the target provider needs for one domain, after the config's (and the tenant's) values are laid over the profile's. */
export interface ResolvedTarget extends ResolvedRecords {
  /** True when the MX came from the config or the tenant, not the profile's default. */
  mxFromConfig: boolean
}

/** The config's (and the tenant's) values for one domain (src/plan/config.ts auditTarget()). */
export type TargetOverrides = TargetValues

export function resolveTarget(profile: Profile, domain: string, overrides: TargetOverrides = {}): ResolvedTarget {
  const r = resolveRecords(profile, domain, overrides)
  if (r.mx.length === 0) {
    const why = r.problems.find((p) => p.subject.endsWith(' MX'))
    throw new UserError(why ? why.message : `the ${profile.id} profile has no MX of its own: give target.mx in the config (--config FILE), from ${profile.mx.where.replaceAll('DOMAIN', domain)}`)
  }
  return {...r, mxFromConfig: r.mxSource === 'config' || r.mxSource === 'tenant'}
}

/** The verification TXT the target asks for, checked against the TXT records at its name. */
export function auditVerification(domain: string, target: ResolvedTarget, txtAtName: readonly string[]): Finding[] {
  const v = target.verification
  if (!v) return []
  const subject = `${v.name} TXT (${target.profile.id} verification)`
  const where = v.where?.replaceAll('DOMAIN', domain) ?? "the provider's admin center"
  if (v.value) {
    if (txtAtName.includes(v.value)) return []
    return [finding('TARGET_VERIFICATION_MISSING', subject, `${v.name} does not publish the verification TXT "${v.value}" the ${target.mxSource === 'tenant' ? 'tenant' : 'config'} expects; publish it and complete domain verification in ${target.profile.name} before the swap.`)]
  }
  const prefix = v.prefix
  if (txtAtName.some((t) => (prefix ? t.startsWith(prefix) && t.length > prefix.length : t.length > 0))) return []
  return [finding('TARGET_VERIFICATION_MISSING', subject, `${v.name} publishes no ${prefix ? `"${prefix}…" ` : ''}verification TXT, so ${target.profile.name} cannot have verified the domain and will not accept its mail; publish the TXT from ${where}.`)]
}

export interface TargetProbeOptions {
  smtp: boolean
  smtpPort: number
  probeTimeoutMs: number
  /** Extra trusted CA certificates (PEM) for the STARTTLS certificate check. */
  ca?: string
}

/** A target MX host: resolved, every address probed (src/audit/mx-hosts.ts). */
export type TargetHostReport = MxHostReport

/** Resolves every target MX host through our DNS path and, unless --no-smtp, asks each address to take postmaster@DOMAIN. */
export async function auditTargetMx(
  domain: string,
  target: ResolvedTarget,
  lookup: LookupFn,
  options: TargetProbeOptions,
): Promise<{findings: Finding[]; hosts: TargetHostReport[]}> {
  const findings: Finding[] = []
  const probe = options.smtp ? {recipient: `postmaster@${domain}`, port: options.smtpPort, timeoutMs: options.probeTimeoutMs, ...(options.ca ? {ca: options.ca} : {})} : null
  const hosts = await probeMxHosts('target', target.mx, lookup, probe)
  const fix = target.mxSource === 'tenant'
    ? `it is what ${target.profile.name} itself lists for ${domain}: finish setting up the domain there before the swap`
    : target.mxFromConfig
      ? "it comes from the config's target.mx: check it against the provider's admin center before the swap"
      : `it is the ${target.profile.id} profile's documented default: give your tenant's MX value from ${target.profile.mx.where.replaceAll('DOMAIN', domain)} as target.mx in the config`
  for (const h of hosts) {
    if (h.resolved.addresses.length > 0) continue
    if (isDefinite(h.resolved.status)) {
      findings.push(finding('TARGET_MX_UNRESOLVABLE', h.exchange, `the target MX ${h.exchange} ${describeStatus(h.resolved)}; ${fix}.`))
    } else {
      findings.push(finding('CHECK_INCOMPLETE', h.exchange, `the target MX ${h.exchange} ${describeStatus(h.resolved)}; check it again before the swap.`))
    }
  }
  if (!options.smtp) return {findings, hosts}
  for (const h of hosts) {
    const p = h.probe
    if (!p) continue
    const subject = `${h.exchange} port ${p.port}`
    switch (p.outcome) {
      case 'accepted':
        break
      case 'rejected':
        findings.push(finding('TARGET_SMTP_REJECTS', subject, `${h.exchange}${h.probes.length > 1 ? ` (${p.address})` : ''} ${describeProbe(p)}, so mail for ${domain} would bounce after the swap; finish adding ${domain} as an accepted domain at ${target.profile.name} first.`))
        break
      case 'unreachable':
        findings.push(finding('TARGET_SMTP_UNREACHABLE', subject, `${h.exchange} (${p.address}) ${describeProbe(p)}; port 25 is often blocked from admin networks, so run the probe from a server that may send mail, or confirm acceptance another way (--no-smtp skips it).`))
        break
      case 'refused-client':
        findings.push(finding('TARGET_SMTP_UNREACHABLE', subject, `${h.exchange} ${describeProbe(p)}, before the recipient could be tried; run the probe from a mail server's network.`))
        break
      case 'tempfail':
        findings.push(finding('CHECK_INCOMPLETE', subject, `${h.exchange} ${describeProbe(p)}; a domain just added at the provider can take a while, so probe again later.`))
        break
    }
  }
  return {findings, hosts}
}
