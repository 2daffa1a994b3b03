import {describe, expect, test} from 'vitest'
import {auditDmarc, parseDmarc} from '../../src/audit/dmarc.js'

describe('DMARC records (RFC 7489)', () => {
  test.each([
    'v=DMARC1; p=none',
    'v=DMARC1; p=reject; rua=mailto:dmarc@example.com',
    'v=DMARC1;p=quarantine;pct=50;adkim=s;aspf=r;fo=1:d;ri=86400;rf=afrf',
    'v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com;',
    'v=DMARC1; p=reject; sp=none; np=reject; future=whatever',
  ])('parses %s', (text) => {
    expect(parseDmarc(text).ok).toBe(true)
  })

  test.each([
    ['v=DMARC1; p=bogus', /p=bogus/],
    ['v=DMARC1; rua=mailto:x@example.com', /p= .*missing/],
    ['v=DMARC1; p=none; pct=150', /pct/],
    ['v=DMARC1; p=none; adkim=x', /adkim/],
    ['v=DMARC1; p=none; rua=dmarc@example.com', /not a URI/],
    ['v=DMARC1; p=none; p=reject', /twice/],
    ['v=DMARC1; p=none; garbage', /tag=value/],
    ['v=DMARC2; p=none', /DMARC1/],
  ])('refuses %s', (text, why) => {
    const r = parseDmarc(text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(why)
  })

  test('findings: missing, several, bad, fine', () => {
    expect(auditDmarc('contoso.test', [], 'nxdomain').map((f) => f.code)).toEqual(['DMARC_MISSING'])
    expect(auditDmarc('contoso.test', ['not dmarc'], 'ok').map((f) => f.code)).toEqual(['DMARC_MISSING'])
    expect(auditDmarc('contoso.test', ['v=DMARC1; p=none', 'v=DMARC1; p=reject'], 'ok').map((f) => f.code)).toEqual(['DMARC_SYNTAX'])
    expect(auditDmarc('contoso.test', ['v=DMARC1; p=maybe'], 'ok').map((f) => [f.code, f.severity])).toEqual([['DMARC_SYNTAX', 'error']])
    expect(auditDmarc('contoso.test', ['v=DMARC1; p=none'], 'ok')).toEqual([])
    expect(auditDmarc('contoso.test', [], 'servfail').map((f) => f.code)).toEqual(['CHECK_INCOMPLETE'])
  })
})
