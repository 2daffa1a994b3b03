import type {AddressProbeJson} from './mx-probe.js'

export type Severity = 'error' | 'warning' | 'info'

/** Stable finding codes of DESIGN.md's table; tests and scripts match on them. */
export type FindingCode =
  | 'MX_NONE_IMPLICIT'
  | 'MX_NULL'
  | 'MX_NULL_MIXED'
  | 'MX_TARGET_IP_LITERAL'
  | 'MX_TARGET_CNAME'
  | 'MX_TARGET_UNRESOLVABLE'
  | 'MX_DUPLICATE_PRIORITY'
  | 'MX_TTL_HIGH'
  | 'NS_SINGLE'
  | 'NS_UNREACHABLE'
  | 'NS_SERIAL_MISMATCH'
  | 'NS_RRSET_MISMATCH'
  | 'NS_TCP_ONLY'
  | 'SPF_MISSING'
  | 'SPF_MULTIPLE'
  | 'SPF_SYNTAX'
  | 'SPF_TOO_MANY_LOOKUPS'
  | 'SPF_TARGET_INCLUDE_MISSING'
  | 'DMARC_MISSING'
  | 'DMARC_SYNTAX'
  | 'DKIM_TARGET_MISSING'
  | 'AUTODISCOVER_MISSING'
  | 'TARGET_VERIFICATION_MISSING'
  | 'TARGET_MX_UNRESOLVABLE'
  | 'TARGET_SMTP_REJECTS'
  | 'TARGET_SMTP_UNREACHABLE'
  | 'MTA_STS_POLICY_MX_MISMATCH'
  | 'MTA_STS_POLICY_UNREACHABLE'
  | 'DANE_TLSA_SOURCE_ONLY'
  // Beyond DESIGN.md's table (additive): an include that is permerror, and a check the audit could not finish.
  | 'SPF_INCLUDE_BROKEN'
  | 'DNSSEC_BOGUS'
  | 'DNSSEC_DS_MISMATCH'
  | 'DNSSEC_SIGNATURE_EXPIRING'
  // Beyond DESIGN.md's table (additive): a target provider's documented prerequisite for inbound DANE that is missing.
  | 'DANE_TARGET_PREREQUISITE'
  | 'CHECK_INCOMPLETE'
  | 'SPF_VOID_LOOKUPS'
  | 'SPF_TERMS_AFTER_ALL'
  | 'DMARC_RUA_UNAUTHORIZED'
  | 'MTA_STS_POLICY_SOURCE_MISMATCH'
  | 'SMTP_STARTTLS_MISSING'
  | 'SMTP_CERT_MISMATCH'
  // Beyond DESIGN.md's table: a DMARC tag receivers ignore while the record still applies (RFC 7489 §6.3).
  | 'DMARC_TAG_INVALID'
  | 'MX_BACKUP_REJECTS'
  | 'MX_PTR_MISMATCH'

export interface Finding {
  code: FindingCode
  severity: Severity
  /** One sentence: what is wrong and what to do. */
  message: string
  /** The record, host or server concerned. */
  subject: string
}

export interface AuditReport {
  domain: string
  target: string | null
  findings: Finding[]
  summary: {error: number; warning: number; info: number}
  /** Additive fields: the zone read, the provider today's MX points at, the target MX checked, notes. */
  zone?: string
  source?: string | null
  targetMx?: Array<{priority: number; exchange: string}>
  notes?: string[]
  /** Every address of every MX host, today's and the target's: the SMTP probe's answer and the PTR check. */
  hosts?: MxHostJson[]
}

/** Which side of the cutover an MX host belongs to. */
export type MxRole = 'source' | 'target'

/** Forward-confirmed reverse DNS of one address (src/audit/ptr.ts). */
export type PtrStatus = 'confirmed' | 'mismatch' | 'missing' | 'incomplete'

/** One MX host as `audit --json` lists it under `hosts` (src/audit/mx-hosts.ts builds it). */
export interface MxHostJson extends Omit<AddressProbeJson, 'result' | 'stage' | 'reply' | 'starttls' | 'certificateMatches'> {
  role: MxRole
  result: AddressProbeJson['result'] | null
  stage: AddressProbeJson['stage'] | null
  reply: string | null
  starttls: boolean | null
  certificateMatches: boolean | null
  /** null: not checked (the provider runs its reverse DNS). */
  ptr: {status: PtrStatus; names: string[]} | null
}
