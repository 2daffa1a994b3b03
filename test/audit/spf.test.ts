import {describe, expect, test} from 'vitest'
import type {LookupFn} from '../../src/audit/lookup.js'
import {auditSpf, countLookups} from '../../src/audit/spf.js'
import {parseSpf} from '../../src/audit/spf-record.js'

/** A fake DNS of TXT records for the counting logic; the lab test crosses the wire. */
function fakeDns(txt: Record<string, string[] | 'servfail'>): LookupFn & {asked: string[]} {
  const asked: string[] = []
  const fn = (async (name: string, type: string) => {
    asked.push(`${name} ${type}`)
    const v = txt[name]
    if (v === 'servfail') return {name, type, status: 'servfail', answers: [], from: 'fake'}
    if (!v) return {name, type, status: 'nxdomain', answers: [], from: 'fake'}
    return {name, type, status: 'ok', answers: v.map((data) => ({name, type: 'TXT', ttl: 60, data})), from: 'fake'}
  }) as LookupFn & {asked: string[]}
  fn.asked = asked
  return fn
}

const rec = (text: string) => {
  const r = parseSpf(text)
  if (!r.ok) throw new Error(r.error)
  return r.record
}

describe('SPF lookups counted through include and redirect', () => {
  test('nested includes and a redirect add up; ip4 and all do not count', async () => {
    const dns = fakeDns({
      'a.example': ['v=spf1 include:b.example mx -all'],
      'b.example': ['v=spf1 a ip4:192.0.2.0/24 -all'],
      'r.example': ['v=spf1 exists:%{i}.r.example -all'],
    })
    const c = await countLookups(dns, rec('v=spf1 include:a.example redirect=r.example'))
    // include:a (1) + redirect (1) + [include:b (1) + mx (1) + [a (1)]] + [exists (1)]
    expect(c.lookups).toBe(6)
    expect([...c.reached].sort()).toEqual(['a.example', 'b.example', 'r.example'])
    expect(c.problems).toEqual([])
  })

  test('a loop is a permerror, reported once, and does not recurse forever', async () => {
    const dns = fakeDns({'a.example': ['v=spf1 include:b.example -all'], 'b.example': ['v=spf1 include:a.example -all']})
    const c = await countLookups(dns, rec('v=spf1 include:a.example -all'))
    expect(c.problems).toEqual([expect.objectContaining({kind: 'broken', message: expect.stringMatching(/loop: a\.example → b\.example → a\.example/)})])
  })

  test('an include without SPF, with two, or unparsable is broken; a failed lookup is incomplete', async () => {
    const dns = fakeDns({'none.example': ['hello'], 'two.example': ['v=spf1 -all', 'v=spf1 +all'], 'bad.example': ['v=spf1 ip4:1.2.3 -all'], 'down.example': 'servfail'})
    const c = await countLookups(dns, rec('v=spf1 include:none.example include:two.example include:bad.example include:down.example include:gone.example -all'))
    expect(c.problems.map((p) => [p.domain, p.kind])).toEqual([
      ['none.example', 'broken'],
      ['two.example', 'broken'],
      ['bad.example', 'broken'],
      ['down.example', 'incomplete'],
      ['gone.example', 'broken'],
    ])
  })

  test('macro includes count once and are not followed', async () => {
    const dns = fakeDns({})
    const c = await countLookups(dns, rec('v=spf1 include:%{d}._spf.example.com -all'))
    expect(c.lookups).toBe(1)
    expect(dns.asked).toEqual([])
  })

  test('the record after merging the target include is counted too', async () => {
    const dns = fakeDns({'spf.target.example': ['v=spf1 include:one.target.example include:two.target.example -all'], 'one.target.example': ['v=spf1 -all'], 'two.target.example': ['v=spf1 -all']})
    const nine = Array.from({length: 9}, (_, i) => `a:h${i}.example.com`).join(' ')
    const findings = await auditSpf({domain: 'contoso.test', txt: [`v=spf1 ${nine} -all`], targetInclude: 'spf.target.example', lookup: dns})
    expect(findings.map((f) => f.code)).toEqual(['SPF_TARGET_INCLUDE_MISSING', 'SPF_TOO_MANY_LOOKUPS'])
    expect(findings[1].message).toMatch(/12 DNS lookups \(today 9/)
  })

  test("a target include that has no SPF record would break SPF once merged", async () => {
    const findings = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 mx -all'], targetInclude: 'spf.typo.example', lookup: fakeDns({})})
    expect(findings.map((f) => [f.code, f.subject])).toEqual([
      ['SPF_TARGET_INCLUDE_MISSING', 'contoso.test TXT (SPF)'],
      ['SPF_INCLUDE_BROKEN', 'spf.typo.example TXT (SPF)'],
    ])
    const down = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 mx -all'], targetInclude: 'spf.down.example', lookup: fakeDns({'spf.down.example': 'servfail'})})
    expect(down.map((f) => f.code)).toEqual(['SPF_TARGET_INCLUDE_MISSING', 'CHECK_INCOMPLETE'])
  })

  test('a target include reached through another include counts as authorised', async () => {
    const dns = fakeDns({'_spf.contoso.test': ['v=spf1 include:spf.target.example -all'], 'spf.target.example': ['v=spf1 -all']})
    expect(await auditSpf({domain: 'contoso.test', txt: ['v=spf1 include:_spf.contoso.test -all'], targetInclude: 'spf.target.example', lookup: dns})).toEqual([])
  })
})
