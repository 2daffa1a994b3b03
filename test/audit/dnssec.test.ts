import {describe, expect, test} from 'vitest'
import {auditDaneTarget, auditDnssec, signatureHorizonSeconds} from '../../src/audit/dnssec.js'
import type {LookupFn} from '../../src/audit/lookup.js'
import {resolveTarget} from '../../src/audit/target.js'
import {getProfile} from '../../src/profiles/index.js'
import type {ZoneDnssec} from '../../src/zone/dnssec.js'

const NOW = Date.parse('2026-03-01T00:00:00Z')

function zone(over: Partial<ZoneDnssec> = {}): ZoneDnssec {
  return {
    state: 'secure',
    signed: true,
    keys: [{keyTag: 4711, algorithm: 13, algorithmName: 'ECDSAP256SHA256', flags: 257, sep: true}],
    servers: [
      {server: 'ns1', dnskeys: 1, signatures: [{name: 'contoso.test', type: 'MX', state: 'signed', expiresAt: '2026-03-20T00:00:00.000Z', detail: 'signed', negative: false}]},
      {server: 'ns2', dnskeys: 1, signatures: [{name: 'contoso.test', type: 'MX', state: 'signed', expiresAt: '2026-03-20T00:00:00.000Z', detail: 'signed', negative: false}]},
    ],
    ds: {status: 'present', records: [{keyTag: 4711, algorithm: 13, digestType: 2, matches: true}]},
    validation: [{resolver: 'r1', status: 'secure', ad: true}],
    ...over,
  }
}

const opts = {nowMs: NOW, horizonSeconds: signatureHorizonSeconds(3600)}

describe('DNSSEC findings', () => {
  test('a healthy signed zone has none; an unsigned one has none', () => {
    expect(auditDnssec('contoso.test', 'contoso.test', zone(), opts)).toEqual([])
    expect(auditDnssec('contoso.test', 'contoso.test', zone({state: 'unsigned', signed: false, keys: [], servers: [], ds: {status: 'absent', records: []}, validation: [{resolver: 'r1', status: 'insecure', ad: false}]}), opts)).toEqual([])
  })

  test('a DS matching no key: DNSSEC_DS_MISMATCH, and DNSSEC_BOGUS naming that cause when resolvers refuse the zone', () => {
    const f = auditDnssec('contoso.test', 'contoso.test', zone({state: 'bogus', ds: {status: 'present', records: [{keyTag: 1, algorithm: 13, digestType: 2, matches: false}]}, validation: [{resolver: 'r1', status: 'bogus', ad: false, detail: 'SERVFAIL'}]}), opts)
    expect(f.map((x) => [x.code, x.severity, x.subject])).toEqual([
      ['DNSSEC_DS_MISMATCH', 'error', 'contoso.test DS'],
      ['DNSSEC_BOGUS', 'error', 'contoso.test MX (DNSSEC)'],
    ])
    expect(f[1].message).toMatch(/the DS at the parent matches no key of the zone/)
    // A DS left at the registrar after the zone was unsigned is a mismatch too.
    const unsigned = auditDnssec('contoso.test', 'contoso.test', zone({signed: false, keys: [], ds: {status: 'present', records: [{keyTag: 1, algorithm: 8, digestType: 2, matches: false}]}}), opts)
    expect(unsigned[0].message).toMatch(/keys: none: the zone is not signed/)
  })

  test('an RRSIG on a record the cutover touches that expires within the horizon is DNSSEC_SIGNATURE_EXPIRING; one past it is not', () => {
    const soon = zone()
    soon.servers[0].signatures = [
      {name: 'contoso.test', type: 'MX', state: 'signed', expiresAt: '2026-03-01T12:00:00.000Z', detail: 'signed', negative: false},
      {name: '_dmarc.contoso.test', type: 'TXT', state: 'signed', expiresAt: '2026-03-01T12:00:00.000Z', detail: 'signed', negative: false},
      {name: 'selector1._domainkey.contoso.test', type: 'CNAME', state: 'signed', expiresAt: '2026-03-01T12:00:00.000Z', detail: 'signed', negative: true},
    ]
    const f = auditDnssec('contoso.test', 'contoso.test', soon, opts)
    expect(f.map((x) => [x.code, x.severity, x.subject])).toEqual([['DNSSEC_SIGNATURE_EXPIRING', 'warning', 'contoso.test MX RRSIG']])
    expect(f[0].message).toMatch(/expires 2026-03-01T12:00:00Z \(ns1\), before the cutover is through \(26 h from now\)/)
  })

  test('a resolver that fails on a signed zone is CHECK_INCOMPLETE, never a verdict', () => {
    const f = auditDnssec('contoso.test', 'contoso.test', zone({validation: [{resolver: 'r1', status: 'failed', ad: false, detail: 'answered timeout'}], ds: {status: 'unknown', records: [], detail: 'r1 answered timeout'}}), opts)
    expect(f.map((x) => x.code)).toEqual(['CHECK_INCOMPLETE', 'CHECK_INCOMPLETE'])
  })
})

describe("Microsoft 365 inbound DANE prerequisites (a *.mx.microsoft target)", () => {
  const lookupWith = (tlsa: boolean): LookupFn => async (name, type) => ({name, type, status: tlsa ? 'ok' : 'nxdomain', answers: tlsa ? [{name, type: 'TLSA', ttl: 60, data: {usage: 3, selector: 1, matchingType: 1, certificate: 'ab'}}] : [], from: 'r1'})
  const m365 = getProfile('microsoft365')

  test('the only MX at priority 0, a secure zone and the TLSA at the host: nothing missing', async () => {
    const target = resolveTarget(m365, 'contoso.test', {mx: [{priority: 0, exchange: 'contoso-test.o-v1.mx.microsoft'}], dkim: false})
    expect(await auditDaneTarget('contoso.test', target, zone(), lookupWith(true))).toEqual([])
  })

  test('says what is missing: another MX beside it, an unsigned zone, no TLSA (Enable-SmtpDaneInbound)', async () => {
    const target = resolveTarget(m365, 'contoso.test', {mx: [{priority: 20, exchange: 'contoso-test.o-v1.mx.microsoft'}, {priority: 30, exchange: 'backup.contoso.test'}], dkim: false})
    const f = await auditDaneTarget('contoso.test', target, zone({state: 'unsigned', signed: false}), lookupWith(false))
    expect(f.map((x) => [x.code, x.subject])).toEqual([
      ['DANE_TARGET_PREREQUISITE', 'contoso.test MX'],
      ['DANE_TARGET_PREREQUISITE', 'contoso.test DNSSEC'],
      ['DANE_TARGET_PREREQUISITE', '_25._tcp.contoso-test.o-v1.mx.microsoft TLSA'],
    ])
    expect(f[0].message).toMatch(/only when it is the domain's one MX at priority 0 or 10/)
    expect(f[1].message).toMatch(/is not DNSSEC-signed.*Enable-SmtpDaneInbound -DomainName contoso\.test/)
    expect(f[2].message).toMatch(/publishes no TLSA record/)
  })

  test('a mail.protection.outlook.com target has no DANE prerequisite to check', async () => {
    const target = resolveTarget(m365, 'contoso.test', {dkim: false})
    expect(await auditDaneTarget('contoso.test', target, zone({state: 'unsigned'}), lookupWith(false))).toEqual([])
  })
})
