import {describe, expect, test} from 'vitest'
import type {LookupFn} from '../../src/audit/lookup.js'
import type {Rr} from '../../src/dns/records.js'
import {auditSpf, countLookups} from '../../src/audit/spf.js'
import {parseSpf} from '../../src/audit/spf-record.js'

/**
 * A fake DNS for the counting logic (the lab test crosses the wire): TXT
 * records by name; every name answers A unless `voids` lists it (then it
 * does not exist); MX from `mx`.
 */
function fakeDns(txt: Record<string, string[] | 'servfail'>, more: {voids?: string[]; mx?: Record<string, string[]>; cnames?: Record<string, string>} = {}): LookupFn & {asked: string[]} {
  const asked: string[] = []
  const fn = (async (name: string, type: string) => {
    asked.push(`${name} ${type}`)
    const answer = (answers: Rr[]) => ({name, type, status: answers.length > 0 ? ('ok' as const) : ('nodata' as const), answers, from: 'fake'})
    if (more.cnames?.[name]) return answer([{name, type: 'CNAME', ttl: 60, data: more.cnames[name]}])
    const v = txt[name]
    if (v === 'servfail') return {name, type, status: 'servfail', answers: [], from: '192.0.2.53'}
    if (more.voids?.includes(name)) return {name, type, status: 'nxdomain', answers: [], from: 'fake'}
    if (type === 'A') return answer([{name, type: 'A', ttl: 60, data: '192.0.2.1'}])
    if (type === 'MX') return answer((more.mx?.[name] ?? []).map((exchange, i) => ({name, type: 'MX', ttl: 60, data: {priority: i, exchange}})))
    if (type !== 'TXT') return answer([])
    if (!v) return {name, type, status: 'nxdomain', answers: [], from: 'fake'}
    return answer(v.map((data) => ({name, type: 'TXT', ttl: 60, data})))
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

  test('an include whose name is a CNAME to a valid SPF record is followed and counted', async () => {
    const dns = fakeDns({'spf.host.example': ['v=spf1 a:one.example a:two.example -all']}, {cnames: {'_spf.contoso.test': 'spf.host.example'}})
    const c = await countLookups(dns, rec('v=spf1 include:_spf.contoso.test -all'))
    expect(c.problems).toEqual([])
    expect(c.lookups).toBe(3)
    expect([...c.reached].sort()).toEqual(['_spf.contoso.test', 'spf.host.example'])
    const findings = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 include:_spf.contoso.test -all'], targetInclude: 'spf.host.example', lookup: dns})
    expect(findings).toEqual([])
  })

  test('a CNAME loop behind an include is a broken include, not a hang', async () => {
    const dns = fakeDns({}, {cnames: {'_spf.contoso.test': '_spf2.contoso.test', '_spf2.contoso.test': '_spf.contoso.test'}})
    const findings = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 include:_spf.contoso.test -all'], targetInclude: null, lookup: dns})
    expect(findings.map((f) => f.code)).toEqual(['SPF_INCLUDE_BROKEN'])
    expect(findings[0].message).toMatch(/CNAME loop/)
  })

  test('terms after "all" are never evaluated: not counted, not followed, and said so (RFC 7208 §5.1)', async () => {
    const dns = fakeDns({})
    const findings = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 a a a a a a a a a a -all a include:never.example'], targetInclude: null, lookup: dns})
    expect(findings.map((f) => f.code)).toEqual(['SPF_TERMS_AFTER_ALL'])
    expect(findings[0].message).toContain('"a", "include:never.example"')
    expect(dns.asked.some((q) => q.startsWith('never.example'))).toBe(false)
    expect((await countLookups(dns, rec('v=spf1 a a a a a a a a a a -all a'))).lookups).toBe(10)
    // redirect= beside all is ignored (§6.1): also said, not followed.
    const r = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 mx -all redirect=other.example'], targetInclude: null, lookup: dns})
    expect(r.map((f) => f.code)).toEqual(['SPF_TERMS_AFTER_ALL'])
  })

  test('more than two void lookups is a permerror (RFC 7208 §4.6.4), counted through includes', async () => {
    const voids = ['gone1.example', 'gone2.example', 'gone3.example']
    const two = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 a:gone1.example a:gone2.example -all'], targetInclude: null, lookup: fakeDns({}, {voids})})
    expect(two).toEqual([])
    const dns = fakeDns({'inc.example': ['v=spf1 a:gone3.example -all']}, {voids})
    const three = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 a:gone1.example include:inc.example exists:gone2.example -all'], targetInclude: null, lookup: dns})
    expect(three.map((f) => [f.code, f.severity])).toEqual([['SPF_VOID_LOOKUPS', 'error']])
    expect(three[0].message).toMatch(/3 lookups that find nothing.*gone1\.example.*gone2\.example.*gone3\.example \(a:gone3\.example in inc\.example/)
    // Macros depend on the sender: not looked up.
    expect(await auditSpf({domain: 'contoso.test', txt: ['v=spf1 exists:%{i}.gone1.example a:gone2.example a:gone3.example -all'], targetInclude: null, lookup: fakeDns({}, {voids})})).toEqual([])
  })

  test('a failed lookup that could make a third void is incomplete, never a permerror', async () => {
    const dns = fakeDns({'down.example': 'servfail'}, {voids: ['gone1.example', 'gone2.example']})
    const findings = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 a:gone1.example a:gone2.example a:down.example -all'], targetInclude: null, lookup: dns})
    expect(findings.map((f) => f.code)).toEqual(['CHECK_INCOMPLETE'])
    expect(findings[0].message).toMatch(/down\.example .*SERVFAIL from 192\.0\.2\.53/)
  })

  test('more than ten MX records behind one mx term is a permerror; a null MX names no host', async () => {
    const hosts = Array.from({length: 11}, (_, i) => `mx${i}.example`)
    const dns = fakeDns({}, {mx: {'big.example': hosts, 'contoso.test': ['.'], 'ten.example': hosts.slice(0, 10)}})
    const findings = await auditSpf({domain: 'contoso.test', txt: ['v=spf1 mx mx:ten.example mx:big.example -all'], targetInclude: null, lookup: dns})
    expect(findings.map((f) => [f.code, f.subject])).toEqual([['SPF_TOO_MANY_LOOKUPS', 'contoso.test TXT (SPF) mx:big.example']])
    expect(findings[0].message).toMatch(/11 MX records at big\.example \(limit 10/)
    expect(dns.asked).not.toContain('. A')
  })

  test('an apex TXT question that failed is incomplete, not a missing SPF record', async () => {
    const findings = await auditSpf({domain: 'contoso.test', txt: [], txtFailure: 'the TXT question for contoso.test failed at every authoritative server (timeout from ns1)', targetInclude: 'spf.target.example', lookup: fakeDns({})})
    expect(findings.map((f) => f.code)).toEqual(['CHECK_INCOMPLETE'])
    expect(findings[0].message).toMatch(/timeout from ns1.*not a missing record/)
  })
})
