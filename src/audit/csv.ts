import type {AuditReport} from './types.js'

/** One field of RFC 4180 CSV: quoted when it holds a comma, a quote or a line break (and a leading =,+,-,@ is defused for spreadsheets). */
export function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export const AUDIT_CSV_HEADER = ['domain', 'status', 'severity', 'code', 'subject', 'message'] as const

/**
 * `audit --csv`: one row per finding; a domain without findings gets one
 * `ok` row and one that could not be audited a `failed` row, so every domain
 * asked for appears. Status is errors, warnings, info (the worst finding), ok or failed.
 */
export function auditCsv(reports: readonly AuditReport[], failed: ReadonlyArray<{domain: string; error: string}>): string {
  const rows: string[][] = [[...AUDIT_CSV_HEADER]]
  for (const r of reports) {
    const status = r.summary.error > 0 ? 'errors' : r.summary.warning > 0 ? 'warnings' : r.summary.info > 0 ? 'info' : 'ok'
    if (r.findings.length === 0) rows.push([r.domain, status, '', '', '', ''])
    for (const f of r.findings) rows.push([r.domain, status, f.severity, f.code, f.subject, f.message])
  }
  for (const f of failed) rows.push([f.domain, 'failed', '', '', '', f.error])
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}
