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
}

export const FINDING_CODES = Object.keys(SEVERITY) as FindingCode[]

export function finding(code: FindingCode, subject: string, message: string): Finding {
  return {code, severity: SEVERITY[code], message, subject}
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
