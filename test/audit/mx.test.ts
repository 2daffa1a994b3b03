import {describe, expect, test} from 'vitest'
import {auditMx, isIpLiteral} from '../../src/audit/mx.js'
import type {InspectReport} from '../../src/zone/inspect.js'

function report(mx: Partial<InspectReport['mx']>, targets: InspectReport['mxTargets'] = []): InspectReport {
  return {
    domain: 'contoso.test',
    zone: 'contoso.test',
    nameservers: [],
    consistent: true,
    disagreements: [],
    soa: null,
    mx: {ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}], nullMx: false, status: 'ok', ...mx},
    mxTargets: targets,
    spf: null,
    spfRecords: [],
    txt: [],
    dmarc: null,
    mtaSts: {txt: null, hostAddresses: []},
    dkim: [],
    autodiscover: null,
  }
}

const codes = (r: InspectReport) => auditMx(r).map((f) => f.code)

describe('MX rules (pure part; the lab test reads real zones)', () => {
  test('IP literals written as names', () => {
    expect(isIpLiteral('192.0.2.25')).toBe(true)
    expect(isIpLiteral('[192.0.2.25]')).toBe(true)
    expect(isIpLiteral('2001:db8::25')).toBe(true)
    expect(isIpLiteral('mail.contoso.test')).toBe(false)
    expect(isIpLiteral('25.mail.contoso.test')).toBe(false)
  })

  test('TTL: 6 h is fine, one second more is high', () => {
    expect(codes(report({ttl: 21600}))).toEqual([])
    expect(codes(report({ttl: 21601}))).toEqual(['MX_TTL_HIGH'])
  })

  test('an MX RRset that could not be read is not mistaken for "no MX"', () => {
    expect(codes(report({records: [], status: 'timeout', ttl: null}))).toEqual(['CHECK_INCOMPLETE'])
    expect(codes(report({records: [], status: 'nodata', ttl: null}))).toEqual(['MX_NONE_IMPLICIT'])
  })

  test('a target that could not be resolved (SERVFAIL) is incomplete, NXDOMAIN is unresolvable', () => {
    const t = (status: 'servfail' | 'nxdomain') => report({}, [{exchange: 'mail.contoso.test', from: 'resolver', status, cname: null, addresses: []}])
    expect(codes(t('servfail'))).toEqual(['CHECK_INCOMPLETE'])
    expect(codes(t('nxdomain'))).toEqual(['MX_TARGET_UNRESOLVABLE'])
  })
})
