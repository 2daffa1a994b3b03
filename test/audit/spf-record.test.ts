import {describe, expect, test} from 'vitest'
import {effectiveRedirect, isSpfRecord, localLookupCount, mergeInclude, parseSpf, type Mechanism} from '../../src/audit/spf-record.js'

function ok(text: string) {
  const r = parseSpf(text)
  if (!r.ok) throw new Error(`${text}: ${r.error}`)
  return r.record
}

function err(text: string): string {
  const r = parseSpf(text)
  if (r.ok) throw new Error(`${text} parsed but should not`)
  return r.error
}

describe('SPF records: RFC 7208 examples parse', () => {
  // Appendix A (A.1 to A.4) and §7.4 (macros).
  const examples = [
    'v=spf1 +all',
    'v=spf1 a -all',
    'v=spf1 a:example.org -all',
    'v=spf1 mx -all',
    'v=spf1 mx:example.org -all',
    'v=spf1 mx mx:example.org -all',
    'v=spf1 mx/30 mx:example.org/30 -all',
    'v=spf1 ptr -all',
    'v=spf1 ip4:192.0.2.128/28 -all',
    'v=spf1 mx include:mx.example.org -all',
    'v=spf1 -ptr +all',
    'v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all',
    'v=spf1 -ip4:192.0.2.0/24 +all',
    'v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all',
    'v=spf1 redirect=_spf.example.com',
    'v=spf1 include:%{ir}.%{v}._spf.%{d2} -all',
    'v=spf1 exists:%{lr-}.lp._spf.%{d2} -all',
    'v=spf1 mx -all exp=explain._spf.%{d}',
    'v=spf1 a//64 a/24//64 ip6:2001:db8::/32 ip6:::1 -all',
    'V=SPF1 MX -ALL',
    'v=spf1',
    'v=spf1 ?all foo=bar',
  ]
  test.each(examples)('%s', (text) => {
    expect(ok(text).text).toBe(text)
  })

  test('terms carry qualifier, name, domain and prefix lengths', () => {
    const r = ok('v=spf1 ~mx:example.org/30//64 -ip4:192.0.2.0/24 ?include:_spf.example.com')
    const [mx, ip4, inc] = r.terms as Mechanism[]
    expect(mx).toMatchObject({qualifier: '~', name: 'mx', domain: 'example.org', cidr4: 30, cidr6: 64})
    expect(ip4).toMatchObject({qualifier: '-', name: 'ip4', network: '192.0.2.0', cidr4: 24})
    expect(inc).toMatchObject({qualifier: '?', name: 'include', domain: '_spf.example.com'})
  })

  test('several spaces between terms are one separator', () => {
    expect(ok('v=spf1  mx   -all').terms).toHaveLength(2)
  })
})

describe('SPF records: what does not parse', () => {
  test.each([
    ['v=spf1 include: -all', /include.*domain/],
    ['v=spf1 include -all', /needs a domain/],
    ['v=spf1 ip4:300.1.1.1 -all', /not an IPv4/],
    ['v=spf1 ip4:192.0.2.0/33 -all', /0 to 32/],
    ['v=spf1 ip6:2001:db8::/129 -all', /0 to 128/],
    ['v=spf1 ip6:192.0.2.1 -all', /not an IPv6/],
    ['v=spf1 foo:bar -all', /unknown mechanism/],
    ['v=spf1 all:example.com', /no argument/],
    ['v=spf1 redirect=a.example.com redirect=b.example.com', /more than once/],
    ['v=spf1 a:example -all', /fully qualified/],
    ['v=spf1 a:example.123 -all', /top-level label/],
    ['v=spf1 include:%{z}.example.com', /macro letter/],
    ['v=spf1 include:%{d0}.example.com', /0 labels/],
    ['v=spf1 include:%example.com', /must be followed/],
    ['v=spf1 mx/ -all', /prefix length/],
    ['v=spf10 -all', /v=spf1/],
  ])('%s', (text, why) => {
    expect(err(text)).toMatch(why)
  })

  test('isSpfRecord needs "v=spf1" then a space or nothing', () => {
    expect(isSpfRecord('v=spf1 -all')).toBe(true)
    expect(isSpfRecord('v=spf1')).toBe(true)
    expect(isSpfRecord('v=spf10 -all')).toBe(false)
    expect(isSpfRecord('spf2.0/pra -all')).toBe(false)
  })
})

describe('lookup counting and merging', () => {
  test('include, a, mx, ptr, exists and redirect count; ip4/ip6/all/exp do not', () => {
    expect(localLookupCount(ok('v=spf1 a mx ptr include:x.example.com exists:%{i}.example.com ip4:192.0.2.1 ip6:::1 exp=e.example.com -all'))).toBe(5)
    expect(localLookupCount(ok('v=spf1 mx redirect=_spf.example.com'))).toBe(2)
  })

  test('redirect is ignored when the record has "all" (§6.1)', () => {
    expect(effectiveRedirect(ok('v=spf1 -all redirect=_spf.example.com'))).toBeUndefined()
    expect(localLookupCount(ok('v=spf1 -all redirect=_spf.example.com'))).toBe(0)
  })

  test('the target include goes before "all" or redirect, else at the end', () => {
    expect(mergeInclude(ok('v=spf1 mx -all'), 'spf.protection.outlook.com')).toBe('v=spf1 mx include:spf.protection.outlook.com -all')
    expect(mergeInclude(ok('v=spf1 mx redirect=_spf.example.com'), '_spf.google.com')).toBe('v=spf1 mx include:_spf.google.com redirect=_spf.example.com')
    expect(mergeInclude(ok('v=spf1 mx'), '_spf.google.com')).toBe('v=spf1 mx include:_spf.google.com')
  })
})
