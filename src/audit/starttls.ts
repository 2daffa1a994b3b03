import {canonicalName} from '../dns/names.js'
import {finding} from './codes.js'
import {describeStatus, followCname, isDefinite, type LookupFn} from './lookup.js'
import type {SmtpProbeResult} from './smtp.js'
import {tlsaMatches, type CertificateReport, type TlsaRecord} from './smtp-tls.js'
import type {Finding} from './types.js'

/**
 * STARTTLS and certificates of probed MX hosts. Opportunistic senders deliver
 * in the clear or over any certificate, so a problem is a warning; senders
 * that enforce TLS (the domain's MTA-STS policy in enforce mode, RFC 8461
 * §4.2; TLSA records for the host, RFC 7672) refuse to deliver: an error.
 */

export interface ProbedHost {
  exchange: string
  probe?: SmtpProbeResult
}

/** The TLSA records of _25._tcp.HOST, or why they could not be read. */
async function tlsaOf(lookup: LookupFn, host: string): Promise<{name: string; records: TlsaRecord[]; failure?: string}> {
  const name = `_25._tcp.${canonicalName(host)}`
  const r = await followCname(lookup, name, 'TLSA')
  if (!r.broken && !isDefinite(r.status)) return {name, records: [], failure: `${name} TLSA ${describeStatus(r)}`}
  return {name, records: r.records.map((x) => x.data as TlsaRecord)}
}

/** What is wrong with a certificate for a sender that checks it; null when nothing is. */
function certificateProblem(cert: CertificateReport, host: string, tlsa: TlsaRecord[]): string | null {
  // DANE-EE (usage 3) pins the key itself: names and chain do not matter (RFC 7672 §3.1.1).
  if (tlsa.some((t) => t.usage === 3 && tlsaMatches(t, cert))) return null
  const problems: string[] = []
  if (tlsa.length > 0 && tlsa.every((t) => t.usage === 3)) problems.push('matches none of its TLSA records')
  if (cert.coversHost === false) problems.push(`does not cover ${host} (it names ${cert.names.join(', ') || cert.subject})`)
  // With DANE-TA (usage 2) the chain ends at the domain's own trust anchor, not a public root.
  if (!cert.trusted && !tlsa.some((t) => t.usage === 2)) problems.push(`does not chain to a trusted root (${cert.trustError ?? 'not trusted'}; issuer ${cert.issuer})`)
  return problems.length > 0 ? problems.join(', and ') : null
}

function enforcedBy(tlsa: TlsaRecord[], stsEnforce: boolean, host: string): string | null {
  if (tlsa.length > 0) return `${host} publishes TLSA records, so DANE senders (RFC 7672) will not deliver to it`
  if (stsEnforce) return 'the domain\'s MTA-STS policy is in enforce mode, so senders that apply it will not deliver to it'
  return null
}

/** One host's STARTTLS and certificate findings, severity by the context. */
async function hostFindings(h: ProbedHost, stsEnforce: boolean, lookup: LookupFn): Promise<Finding[]> {
  const p = h.probe
  const tls = p?.tls
  if (!p || !tls) return []
  const noTls = !tls.offered ? 'offers no STARTTLS' : !tls.established ? `offers STARTTLS but it fails (${tls.error ?? 'no TLS session'})` : null
  const cert = tls.established ? tls.certificate : undefined
  // Asked even when the certificate looks fine: a TLSA record it does not match makes DANE senders refuse it.
  const tlsa = await tlsaOf(lookup, h.exchange)
  const out: Finding[] = []
  if (tlsa.failure) out.push(finding('CHECK_INCOMPLETE', `${tlsa.name} TLSA`, `${tlsa.failure}, so whether DANE senders require TLS of ${h.exchange} cannot be told; run the audit again.`))
  const enforced = enforcedBy(tlsa.records, stsEnforce, h.exchange)
  const subject = `${h.exchange} port ${p.port}`
  const consequence = enforced ?? 'senders that require TLS will not deliver to it, and the others send in the clear'
  if (noTls) {
    out.push(finding('SMTP_STARTTLS_MISSING', subject, `${h.exchange} (${p.address}) ${noTls}: ${consequence}; have STARTTLS enabled on it before the swap.`, {escalated: enforced !== null}))
    return out
  }
  const problem = cert ? certificateProblem(cert, h.exchange, tlsa.records) : null
  if (!problem) return out
  const certConsequence = enforced ?? 'senders that check certificates will not deliver to it'
  out.push(finding('SMTP_CERT_MISMATCH', subject, `the certificate ${h.exchange} (${p.address}) presents after STARTTLS ${problem}: ${certConsequence}; install a certificate for ${h.exchange} from a public CA${tlsa.records.length > 0 ? ', or update the TLSA records,' : ''} before the swap.`, {escalated: enforced !== null}))
  return out
}

export async function auditStartTls(hosts: readonly ProbedHost[], context: {stsEnforce: boolean; lookup: LookupFn}): Promise<Finding[]> {
  const each = await Promise.all(hosts.map((h) => hostFindings(h, context.stsEnforce, context.lookup)))
  return each.flat()
}
