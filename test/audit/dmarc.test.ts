import {describe, expect, test} from 'vitest'
import {auditDmarc, auditDmarcAt, parseDmarc, reportDomains} from '../../src/audit/dmarc.js'
import type {Followed, LookupFn} from '../../src/audit/lookup.js'
import type {Rr} from '../../src/dns/records.js'

/** A fake DNS of TXT and CNAME records for the logic; the lab test crosses the wire. */
function fakeDns(txt: Record<string, string[] | 'servfail'>, cnames: Record<string, string> = {}): LookupFn {
  return async (name, type) => {
    if (cnames[name]) return {name, type, status: 'ok', answers: [{name, type: 'CNAME', ttl: 60, data: cnames[name]}], from: 'fake'}
    const v = txt[name]
    if (v === 'servfail') return {name, type, status: 'servfail', answers: [], from: '192.0.2.53'}
    return v ? {name, type, status: 'ok', answers: v.map((data): Rr => ({name, type: 'TXT', ttl: 60, data})), from: 'fake'} : {name, type, status: 'nxdomain', answers: [], from: 'fake'}
  }
}

const at = (status: Followed['status'], chain = ['_dmarc.contoso.test']) => ({status, from: '192.0.2.53', chain})
const codes = (fs: Array<{code: string}>) => fs.map((f) => f.code)

describe('DMARC records (RFC 7489)', () => {
  test.each([
    'v=DMARC1; p=none',
    'v=DMARC1; p=reject; rua=mailto:dmarc@example.com',
    'v=DMARC1;p=quarantine;pct=50;adkim=s;aspf=r;fo=1:d;ri=86400;rf=afrf',
    'v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com;',
    'v=DMARC1; p=reject; sp=none; np=reject; future=whatever',
    // Tag names are case-insensitive (the ABNF's strings); the version value is not.
    'V=DMARC1; P=reject; RUA=mailto:dmarc@example.com',
    'v = DMARC1 ; p = Quarantine',
  ])('parses %s, nothing ignored', (text) => {
    const r = parseDmarc(text)
    expect(r.ok && r.record.ignored).toEqual([])
  })

  test.each([
    ['v=DMARC1; p=bogus', /p=bogus/],
    ['v=DMARC1; rua=mailto:x@example.com', /p= .*missing/],
    ['v=DMARC1; p=none; sp=maybe', /sp=maybe/],
    ['v=DMARC1; p=none; p=reject', /p= appears twice/],
    ['v=DMARC2; p=none', /DMARC1/],
    ['v=dmarc1; p=none', /capitals/],
  ])('a record receivers do not apply as written: %s', (text, why) => {
    const r = parseDmarc(text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(why)
  })

  // RFC 7489 §6.3: invalid optional tags are ignored, the record still applies.
  test.each([
    ['v=DMARC1; p=none; pct=150', /pct=150/],
    ['v=DMARC1; p=none; adkim=x', /adkim=x/],
    ['v=DMARC1; p=none; ruf=', /ruf= is empty/],
    ['v=DMARC1; p=none; rua=dmarc@example.com', /not a URI/],
    ['v=DMARC1; p=none; rua=https://example.com/report', /only to mailto:/],
    ['v=DMARC1; p=none; garbage', /tag=value/],
    ['v=DMARC1; p=none; aspf=r; aspf=s', /twice/],
  ])('a tag receivers ignore: %s', (text, why) => {
    const r = parseDmarc(text)
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.record.ignored.join(' ')).toMatch(why)
  })

  test('findings: missing, several, not applied, tags ignored, fine, failed lookup, loop', () => {
    expect(codes(auditDmarc('contoso.test', at('nxdomain'), []))).toEqual(['DMARC_MISSING'])
    expect(codes(auditDmarc('contoso.test', at('ok'), ['not dmarc']))).toEqual(['DMARC_MISSING'])
    expect(codes(auditDmarc('contoso.test', at('ok'), ['v=DMARC1; p=none', 'v=DMARC1; p=reject']))).toEqual(['DMARC_SYNTAX'])
    expect(auditDmarc('contoso.test', at('ok'), ['v=DMARC1; p=maybe']).map((f) => [f.code, f.severity])).toEqual([['DMARC_SYNTAX', 'error']])
    expect(auditDmarc('contoso.test', at('ok'), ['v=dmarc1; p=reject']).map((f) => [f.code, f.severity])).toEqual([['DMARC_SYNTAX', 'error']])
    const ignored = auditDmarc('contoso.test', at('ok'), ['v=DMARC1; p=none; pct=150; adkim=x; ruf='])
    expect(ignored.map((f) => [f.code, f.severity])).toEqual([['DMARC_TAG_INVALID', 'warning']])
    expect(ignored[0].message).toMatch(/pct=150.*adkim=x.*ruf= is empty/)
    expect(auditDmarc('contoso.test', at('ok'), ['V=DMARC1; P=reject'])).toEqual([])
    const failed = auditDmarc('contoso.test', at('servfail'), [])
    expect(codes(failed)).toEqual(['CHECK_INCOMPLETE'])
    expect(failed[0].message).toMatch(/_dmarc\.contoso\.test could not be resolved \(SERVFAIL from 192\.0\.2\.53\)/)
    const loop = auditDmarc('contoso.test', {...at('error', ['_dmarc.contoso.test', 'a.test', '_dmarc.contoso.test']), broken: 'loop', error: 'CNAME loop _dmarc.contoso.test → a.test → _dmarc.contoso.test'}, [])
    expect(codes(loop)).toEqual(['DMARC_MISSING'])
    expect(loop[0].message).toMatch(/never ends/)
  })

  test('_dmarc as a CNAME to a hosted record is followed; a failed lookup is not a missing record', async () => {
    const hosted = fakeDns({'contoso.test.dmarc.host.example': ['v=DMARC1; p=reject; rua=mailto:d@contoso.test']}, {'_dmarc.contoso.test': 'contoso.test.dmarc.host.example'})
    expect(await auditDmarcAt('contoso.test', 'contoso.test', hosted)).toEqual([])
    const down = await auditDmarcAt('contoso.test', 'contoso.test', fakeDns({'_dmarc.contoso.test': 'servfail'}))
    expect(codes(down)).toEqual(['CHECK_INCOMPLETE'])
  })

  test("a name below the zone apex falls back to the apex's policy (the organizational domain)", async () => {
    const dns = fakeDns({'_dmarc.contoso.test': ['v=DMARC1; p=reject']})
    expect(await auditDmarcAt('eu.contoso.test', 'contoso.test', dns)).toEqual([])
    expect(codes(await auditDmarcAt('eu.contoso.test', 'contoso.test', fakeDns({})))).toEqual(['DMARC_MISSING'])
    expect(codes(await auditDmarcAt('contoso.test', 'contoso.test', fakeDns({})))).toEqual(['DMARC_MISSING'])
    // A broken own record is not hidden by the parent's good one.
    const both = fakeDns({'_dmarc.contoso.test': ['v=DMARC1; p=reject'], '_dmarc.eu.contoso.test': ['v=DMARC1; p=maybe']})
    expect(codes(await auditDmarcAt('eu.contoso.test', 'contoso.test', both))).toEqual(['DMARC_SYNTAX'])
  })

  test('report addresses in another organization need its _report._dmarc authorisation (RFC 7489 §7.1)', async () => {
    const record = 'v=DMARC1; p=none; rua=mailto:a@contoso.test,mailto:b@reports.example!10m; ruf=mailto:f@mail.contoso.test,mailto:x@other.example'
    const parsed = parseDmarc(record)
    expect(parsed.ok && reportDomains(parsed.record).map((r) => r.host)).toEqual(['contoso.test', 'reports.example', 'mail.contoso.test', 'other.example'])
    const dns = fakeDns({'_dmarc.contoso.test': [record], 'contoso.test._report._dmarc.reports.example': ['v=DMARC1']})
    const findings = await auditDmarcAt('contoso.test', 'contoso.test', dns)
    expect(findings.map((f) => [f.code, f.subject])).toEqual([['DMARC_RUA_UNAUTHORIZED', 'contoso.test._report._dmarc.other.example TXT']])
    expect(findings[0].message).toMatch(/ruf=mailto:x@other\.example/)
    // Wildcard authorisations answer through DNS like any other name; a failed lookup is incomplete.
    const down = fakeDns({'_dmarc.contoso.test': ['v=DMARC1; p=none; rua=mailto:b@reports.example'], 'contoso.test._report._dmarc.reports.example': 'servfail'})
    expect(codes(await auditDmarcAt('contoso.test', 'contoso.test', down))).toEqual(['CHECK_INCOMPLETE'])
    // A subdomain reporting to its parent organization needs nothing.
    const sub = fakeDns({'_dmarc.eu.contoso.test': ['v=DMARC1; p=none; rua=mailto:d@contoso.test']})
    expect(await auditDmarcAt('eu.contoso.test', 'eu.contoso.test', sub)).toEqual([])
  })
})
