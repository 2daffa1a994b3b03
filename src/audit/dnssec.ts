import {canonicalName} from '../dns/names.js'
import type {ZoneDnssec} from '../zone/dnssec.js'
import {finding} from './codes.js'
import {describeStatus, isDefinite, type LookupFn} from './lookup.js'
import type {ResolvedTarget} from './target.js'
import type {Finding} from './types.js'

/**
 * DNSSEC before a cutover: a bogus chain means validating senders find no MX
 * at all (mail is deferred, then bounced); a DS matching no key is the usual
 * cause; an RRSIG that expires mid-cutover turns a record the plan touches
 * bogus unless the signer refreshes it.
 */

/** How far ahead a signature must stay valid: the lowering wait, the swap and its verification, and a day of checkpoints. */
export function signatureHorizonSeconds(mxTtl: number | null): number {
  return 2 * (mxTtl ?? 3600) + 86400
}

/** The RRsets of the domain a cutover changes: MX, apex TXT (SPF, verification), MTA-STS id, DKIM, autodiscover. */
function touched(domain: string, name: string, type: string): boolean {
  const d = canonicalName(domain)
  if (name === d) return type === 'MX' || type === 'TXT'
  return name === `_mta-sts.${d}` || name === `autodiscover.${d}` || name.endsWith(`._domainkey.${d}`)
}

const when = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z')

function chainFindings(domain: string, zone: string, d: ZoneDnssec): Finding[] {
  const out: Finding[] = []
  const bogus = d.validation.filter((v) => v.status === 'bogus')
  const mismatch = d.ds.status === 'present' && d.ds.records.every((r) => !r.matches)
  if (mismatch) {
    const ds = d.ds.records.map((r) => `${r.keyTag}/${r.algorithm}/${r.digestType}`).join(', ')
    const keys = d.keys.length ? d.keys.map((k) => `${k.keyTag} (${k.algorithmName}${k.sep ? ', KSK' : ''})`).join(', ') : 'none: the zone is not signed'
    out.push(finding('DNSSEC_DS_MISMATCH', `${zone} DS`, `the parent publishes DS ${ds} for ${zone}, but no DNSKEY the authoritative servers serve matches it (keys: ${keys}); publish the DS of the current KSK at the registrar (or remove the DS if the zone is no longer signed) before the cutover.`))
  }
  if (bogus.length > 0) {
    const why = mismatch ? 'the DS at the parent matches no key of the zone' : expiredOrBroken(d) ?? 'the chain of trust does not validate'
    out.push(finding('DNSSEC_BOGUS', `${domain} MX (DNSSEC)`, `validating resolvers (${bogus.map((b) => b.resolver).join(', ')}) answer SERVFAIL for ${domain} MX while the same question with checking disabled is answered: ${why}, so senders that validate DNSSEC find no MX and defer, then bounce, the domain's mail; fix the signatures or the DS before the cutover.`))
  }
  for (const v of d.validation.filter((x) => x.status === 'failed' && d.signed)) {
    out.push(finding('CHECK_INCOMPLETE', `${domain} MX (DNSSEC, ${v.resolver})`, `${v.resolver} ${v.detail ?? 'did not answer'}, so whether it validates ${domain} is unknown; check again before the cutover.`))
  }
  if (d.signed && d.ds.status === 'unknown') {
    out.push(finding('CHECK_INCOMPLETE', `${zone} DS`, `the DS of ${zone} at the parent could not be read (${d.ds.detail ?? 'no answer'}); check the delegation again before the cutover.`))
  }
  return out
}

function expiredOrBroken(d: ZoneDnssec): string | null {
  for (const s of d.servers) {
    const bad = s.signatures.find((x) => x.state === 'expired' || x.state === 'bad-signature' || x.state === 'not-yet-valid')
    if (bad) return `${s.server} serves ${bad.detail}`
  }
  return null
}

function expiringFindings(domain: string, d: ZoneDnssec, nowMs: number, horizonSeconds: number): Finding[] {
  const limit = nowMs + horizonSeconds * 1000
  const seen = new Map<string, {expiresAt: string; servers: string[]; expired: boolean}>()
  for (const s of d.servers) {
    for (const sig of s.signatures) {
      // Records that exist: a proof that a name does not exist is re-made when the record is created.
      if (sig.negative || !touched(domain, sig.name, sig.type) || sig.expiresAt === null || Date.parse(sig.expiresAt) > limit) continue
      const key = `${sig.name} ${sig.type}`
      const entry = seen.get(key) ?? {expiresAt: sig.expiresAt, servers: [], expired: sig.state === 'expired'}
      entry.servers.push(s.server)
      if (sig.expiresAt < entry.expiresAt) entry.expiresAt = sig.expiresAt
      seen.set(key, entry)
    }
  }
  return [...seen.entries()].map(([key, e]) =>
    finding(
      'DNSSEC_SIGNATURE_EXPIRING',
      `${key} RRSIG`,
      `the RRSIG of ${key} ${e.expired ? 'expired' : 'expires'} ${when(e.expiresAt)} (${e.servers.join(', ')}), before the cutover is through (${Math.round(horizonSeconds / 3600)} h from now); make sure the signer re-signs the zone (online signing such as BIND's dnssec-policy or a DNS host's automatic DNSSEC does; a zone signed once with dnssec-signzone does not) or validating resolvers will refuse the record.`,
    ),
  )
}

export function auditDnssec(domain: string, zone: string, d: ZoneDnssec | undefined, options: {nowMs: number; horizonSeconds: number}): Finding[] {
  if (!d) return []
  return [...chainFindings(domain, zone, d), ...expiringFindings(domain, d, options.nowMs, options.horizonSeconds)]
}

/**
 * A target provider's documented prerequisites for inbound DANE (Microsoft
 * 365: a *.mx.microsoft MX alone at priority 0 or 10, a DNSSEC-signed zone,
 * the TLSA records published at the MX host once Enable-SmtpDaneInbound ran).
 */
export async function auditDaneTarget(domain: string, target: ResolvedTarget, d: ZoneDnssec | undefined, lookup: LookupFn): Promise<Finding[]> {
  const spec = target.profile.dane
  if (!spec) return []
  const re = new RegExp(spec.mx, 'i')
  const dane = target.mx.filter((m) => re.test(m.exchange))
  if (dane.length === 0) return []
  const out: Finding[] = []
  const hosts = dane.map((m) => m.exchange).join(', ')
  const enable = spec.enable.replaceAll('DOMAIN', domain)
  if (target.mx.length !== 1 || !spec.priorities.includes(target.mx[0].priority)) {
    out.push(finding('DANE_TARGET_PREREQUISITE', `${domain} MX`, `${target.profile.name} enables inbound DANE for ${hosts} only when it is the domain's one MX at priority ${spec.priorities.join(' or ')} (the plan's target MX is ${target.mx.map((m) => `${m.priority} ${m.exchange}`).join(', ')}); make it the only MX at that priority, or accept mail without DANE.`))
  }
  if (d && d.state !== 'secure') {
    const why = d.state === 'unsigned' ? 'is not DNSSEC-signed' : d.state === 'insecure' ? 'is signed but nothing validates it (no DS at the parent)' : d.state === 'bogus' ? 'does not validate' : 'could not be checked for DNSSEC'
    out.push(finding('DANE_TARGET_PREREQUISITE', `${domain} DNSSEC`, `inbound DANE at ${hosts} needs ${domain} signed with a validating chain, but it ${why}; mail flows without it, unprotected by DANE. Sign the zone and publish the DS at the registrar, then run ${enable}.`))
  }
  for (const m of dane) {
    const name = `_25._tcp.${m.exchange}`
    const r = await lookup(name, 'TLSA')
    if (!isDefinite(r.status)) out.push(finding('CHECK_INCOMPLETE', `${name} TLSA`, `${name} ${describeStatus(r)}; check the target's DANE records again before the cutover.`))
    else if (!r.answers.some((a) => a.type === 'TLSA')) out.push(finding('DANE_TARGET_PREREQUISITE', `${name} TLSA`, `${m.exchange} publishes no TLSA record, so DANE is not enabled for ${domain} yet; run ${enable}.`))
  }
  return out
}
