import {describe, expect, test} from 'vitest'
import {auditDmarc, auditDmarcAt, parseDmarc} from '../../src/audit/dmarc.js'
import type {LookupFn} from '../../src/audit/lookup.js'

function fakeDns(txt: Record<string, string[]>): LookupFn {
  return async (name, type) => {
    const v = txt[name]
    return v ? {name, type, status: 'ok', answers: v.map((data) => ({name, type: 'TXT', ttl: 60, data})), from: 'fake'} : {name, type, status: 'nxdomain', answers: [], from: 'fake'}
  }
}

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

  test("a name below the zone apex falls back to the apex's policy (the organizational domain)", async () => {
    const dns = fakeDns({'_dmarc.contoso.test': ['v=DMARC1; p=reject']})
    expect(await auditDmarcAt('eu.contoso.test', 'contoso.test', dns)).toEqual([])
    expect((await auditDmarcAt('eu.contoso.test', 'contoso.test', fakeDns({}))).map((f) => f.code)).toEqual(['DMARC_MISSING'])
    expect((await auditDmarcAt('contoso.test', 'contoso.test', fakeDns({}))).map((f) => f.code)).toEqual(['DMARC_MISSING'])
    // A broken own record is not hidden by the parent's good one.
    const both = fakeDns({'_dmarc.contoso.test': ['v=DMARC1; p=reject'], '_dmarc.eu.contoso.test': ['v=DMARC1; p=maybe']})
    expect((await auditDmarcAt('eu.contoso.test', 'contoso.test', both)).map((f) => f.code)).toEqual(['DMARC_SYNTAX'])
  })
})
