import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, test} from 'vitest'
import {ESCALATION, FINDING_CODES, finding, severityText, sortFindings, summarize} from '../../src/audit/codes.js'

const readme = fileURLToPath(new URL('../../README.md', import.meta.url))

describe('finding codes', () => {
  // Users read the codes in the README: its table and the code agree, both ways.
  test('the README lists every code with the severity the code gives it, and no other', () => {
    const rows = [...readFileSync(readme, 'utf8').matchAll(/^\| `([A-Z_]+)` \| ([^|]+?) \|/gm)].map((m) => [m[1], m[2]])
    expect(rows.length).toBeGreaterThan(20)
    // A code whose severity rises with the context says so in the same cell: "warning, error when TLS is enforced".
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(FINDING_CODES.map((c) => [c, severityText(c)])))
  })

  test('a finding takes the default severity, or the escalated one where the code has one', () => {
    expect(finding('SMTP_STARTTLS_MISSING', 'mx', 'x').severity).toBe('warning')
    expect(finding('SMTP_STARTTLS_MISSING', 'mx', 'x', {escalated: true}).severity).toBe('error')
    expect(finding('SMTP_CERT_MISMATCH', 'mx', 'x', {escalated: true}).severity).toBe(ESCALATION.SMTP_CERT_MISMATCH?.severity)
    expect(() => finding('SPF_MISSING', 'x', 'x', {escalated: true})).toThrow(/no escalated severity/)
  })

  test('summary counts and stable order: errors first, then by code and subject', () => {
    const list = [finding('MX_DUPLICATE_PRIORITY', 'b', 'x'), finding('SPF_MISSING', 'a', 'x'), finding('NS_UNREACHABLE', 'z', 'x'), finding('MX_NULL_MIXED', 'a', 'x')]
    expect(sortFindings(list).map((f) => f.code)).toEqual(['MX_NULL_MIXED', 'NS_UNREACHABLE', 'SPF_MISSING', 'MX_DUPLICATE_PRIORITY'])
    expect(summarize(list)).toEqual({error: 2, warning: 1, info: 1})
  })
})
