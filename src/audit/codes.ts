import type {AuditReport, Finding, FindingCode, Severity} from './types.js'

/** DESIGN.md's table: one severity per code, so a rule cannot drift from the contract. */
export const SEVERITY: Record<FindingCode, Severity> = {
  MX_NONE_IMPLICIT: 'warning',
  MX_NULL: 'warning',
  MX_NULL_MIXED: 'error',
  MX_TARGET_IP_LITERAL: 'error',
  MX_TARGET_CNAME: 'error',
  MX_TARGET_UNRESOLVABLE: 'error',
  MX_DUPLICATE_PRIORITY: 'info',
  MX_TTL_HIGH: 'warning',
  NS_SINGLE: 'warning',
  NS_UNREACHABLE: 'error',
  NS_SERIAL_MISMATCH: 'error',
  NS_RRSET_MISMATCH: 'error',
  NS_TCP_ONLY: 'warning',
  SPF_MISSING: 'warning',
  SPF_MULTIPLE: 'error',
  SPF_SYNTAX: 'error',
  SPF_TOO_MANY_LOOKUPS: 'error',
  SPF_TARGET_INCLUDE_MISSING: 'warning',
  DMARC_MISSING: 'warning',
  DMARC_SYNTAX: 'error',
  DKIM_TARGET_MISSING: 'warning',
  AUTODISCOVER_MISSING: 'warning',
  TARGET_VERIFICATION_MISSING: 'error',
  TARGET_MX_UNRESOLVABLE: 'error',
  TARGET_SMTP_REJECTS: 'error',
  TARGET_SMTP_UNREACHABLE: 'warning',
  MTA_STS_POLICY_MX_MISMATCH: 'error',
  MTA_STS_POLICY_UNREACHABLE: 'warning',
  DANE_TLSA_SOURCE_ONLY: 'warning',
  SPF_INCLUDE_BROKEN: 'error',
  DNSSEC_BOGUS: 'error',
  DNSSEC_DS_MISMATCH: 'error',
  DNSSEC_SIGNATURE_EXPIRING: 'warning',
  DANE_TARGET_PREREQUISITE: 'warning',
  CHECK_INCOMPLETE: 'warning',
  SPF_VOID_LOOKUPS: 'error',
  SPF_TERMS_AFTER_ALL: 'warning',
  DMARC_RUA_UNAUTHORIZED: 'warning',
  DMARC_TAG_INVALID: 'warning',
  MTA_STS_POLICY_SOURCE_MISMATCH: 'error',
  SMTP_STARTTLS_MISSING: 'warning',
  SMTP_CERT_MISMATCH: 'warning',
  MX_BACKUP_REJECTS: 'error',
  MX_PTR_MISMATCH: 'warning',
}

/**
 * Codes whose severity rises with the context, beside their default in
 * SEVERITY: a host without working TLS is a warning, but an error where
 * senders enforce TLS (an MTA-STS policy in enforce mode, or TLSA records),
 * because those senders will not deliver to it.
 */
export const ESCALATION: Partial<Record<FindingCode, {severity: Severity; when: string}>> = {
  SMTP_STARTTLS_MISSING: {severity: 'error', when: 'TLS is enforced'},
  SMTP_CERT_MISMATCH: {severity: 'error', when: 'TLS is enforced'},
}

export const FINDING_CODES = Object.keys(SEVERITY) as FindingCode[]

/** The severity as the README's table writes it: "warning", or "warning, error when TLS is enforced". */
export function severityText(code: FindingCode): string {
  const up = ESCALATION[code]
  return up ? `${SEVERITY[code]}, ${up.severity} when ${up.when}` : SEVERITY[code]
}

/** A finding at the code's severity, or at its escalated one when the context calls for it (ESCALATION). */
export function finding(code: FindingCode, subject: string, message: string, options: {escalated?: boolean} = {}): Finding {
  const up = ESCALATION[code]
  if (options.escalated && !up) throw new Error(`finding code ${code} has no escalated severity`)
  return {code, severity: options.escalated && up ? up.severity : SEVERITY[code], message, subject}
}

export const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info']

export function summarize(findings: readonly Finding[]): AuditReport['summary'] {
  const summary = {error: 0, warning: 0, info: 0}
  for (const f of findings) summary[f.severity] += 1
  return summary
}

/** Errors first, then by code and subject, so output is stable from run to run. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      a.code.localeCompare(b.code) ||
      a.subject.localeCompare(b.subject),
  )
}
