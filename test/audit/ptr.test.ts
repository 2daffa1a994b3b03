import {describe, expect, test} from 'vitest'
import type {Lookup, LookupFn} from '../../src/audit/lookup.js'
import {checkPtr, ptrFindings, reverseName} from '../../src/audit/ptr.js'
import type {Rr} from '../../src/dns/records.js'

/** A lookup answering from a table: "name TYPE" → answers, or a status string for a failure. */
function table(entries: Record<string, Array<[string, string, string]> | 'nxdomain' | 'servfail'>): LookupFn {
  return async (name, type) => {
    const e = entries[`${name} ${type}`]
    if (e === undefined || e === 'nxdomain') return {name, type, status: 'nxdomain', answers: [], from: 'test'} satisfies Lookup
    if (e === 'servfail') return {name, type, status: 'servfail', answers: [], from: 'test'}
    const answers = e.map(([n, t, data]) => ({name: n, type: t, ttl: 60, class: 'IN', data}) as unknown as Rr)
    return {name, type, status: 'ok', answers, from: 'test'}
  }
}

describe('forward-confirmed reverse DNS', () => {
  test('reverse names of IPv4 and IPv6 addresses (RFC 1035 §3.5, RFC 3596 §2.5)', () => {
    expect(reverseName('192.0.2.25')).toBe('25.2.0.192.in-addr.arpa')
    expect(reverseName('2001:db8::1')).toBe(`1.0.0.0.${'0.0.0.0.'.repeat(4)}0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa`)
    expect(reverseName('::1').split('.')).toHaveLength(34)
  })

  test('confirmed, mismatch, missing, and a failed lookup that is never called missing', async () => {
    const lookup = table({
      '25.2.0.192.in-addr.arpa PTR': [['25.2.0.192.in-addr.arpa', 'PTR', 'mx.example.test']],
      'mx.example.test A': [['mx.example.test', 'A', '192.0.2.25']],
      '26.2.0.192.in-addr.arpa PTR': [['26.2.0.192.in-addr.arpa', 'PTR', 'other.example.test']],
      'other.example.test A': [['other.example.test', 'A', '192.0.2.99']],
      '28.2.0.192.in-addr.arpa PTR': 'servfail',
      // RFC 2317: the PTR behind a CNAME.
      '29.2.0.192.in-addr.arpa PTR': [['29.2.0.192.in-addr.arpa', 'CNAME', '29.0-63.2.0.192.in-addr.arpa'], ['29.0-63.2.0.192.in-addr.arpa', 'PTR', 'mx29.example.test']],
      'mx29.example.test A': [['mx29.example.test', 'A', '192.0.2.29']],
    })
    expect(await checkPtr('192.0.2.25', lookup)).toMatchObject({status: 'confirmed', names: ['mx.example.test']})
    expect(await checkPtr('192.0.2.26', lookup)).toMatchObject({status: 'mismatch', names: ['other.example.test'], detail: 'other.example.test → 192.0.2.99'})
    expect(await checkPtr('192.0.2.27', lookup)).toMatchObject({status: 'missing', names: []})
    expect(await checkPtr('192.0.2.28', lookup)).toMatchObject({status: 'incomplete'})
    expect(await checkPtr('192.0.2.29', lookup)).toMatchObject({status: 'confirmed', names: ['mx29.example.test']})
    const findings = ptrFindings('mx.example.test', [await checkPtr('192.0.2.26', lookup), await checkPtr('192.0.2.28', lookup), await checkPtr('192.0.2.25', lookup)])
    expect(findings.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['MX_PTR_MISMATCH', 'warning', 'mx.example.test 192.0.2.26 PTR'],
      ['CHECK_INCOMPLETE', 'warning', 'mx.example.test 192.0.2.28 PTR'],
    ])
  })
})
