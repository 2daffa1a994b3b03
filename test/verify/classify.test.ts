import {describe, expect, test} from 'vitest'
import type {QueryResult} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {isUnreachable, sampleFrom, summarize, toMxJson, type Sample} from '../../src/verify/classify.js'

const domain = 'contoso.com'
const server: DnsServer = {kind: 'dns', address: '192.0.2.53', port: 53, name: 'r1'}
const expected = toMxJson([{priority: 0, exchange: 'contoso-com.mail.protection.outlook.com'}])

function result(over: Partial<QueryResult>): QueryResult {
  return {server, name: domain, type: 'MX', status: 'ok', rcode: 'NOERROR', aa: false, ra: true, answers: [], authorities: [], additionals: [], transport: 'udp', rttMs: 3, ...over}
}
const mx = (priority: number, exchange: string, ttl: number) => ({name: domain, type: 'MX' as const, ttl, data: {priority, exchange}})
const fresh = (ttl = 300, at = 0) => sampleFrom(result({answers: [mx(0, 'contoso-com.mail.protection.outlook.com', ttl)]}), domain, expected, at)
const old = (ttl: number, at = 0) => sampleFrom(result({answers: [mx(10, 'mx1.fabrikam.com', ttl), mx(20, 'mx2.fabrikam.com', ttl)]}), domain, expected, at)
const failed = (over: Partial<QueryResult>) => sampleFrom(result({answers: [], rcode: undefined, ...over}), domain, expected, 0)

describe('samples', () => {
  test('the expected set matches regardless of order, case and trailing dot', () => {
    const s = sampleFrom(result({answers: [mx(0, 'Contoso-Com.Mail.Protection.Outlook.Com.', 120)]}), domain, expected, 5)
    expect(s).toMatchObject({verdict: 'new', ttl: 120, at: 5})
  })

  test('a different set, a subset or a superset is old', () => {
    expect(old(60).verdict).toBe('old')
    const superset = sampleFrom(result({answers: [mx(0, 'contoso-com.mail.protection.outlook.com', 60), mx(10, 'mx1.fabrikam.com', 60)]}), domain, expected, 0)
    expect(superset.verdict).toBe('old')
  })

  test('a negative answer takes its remaining TTL from the SOA in the authority section', () => {
    const soa = {name: domain, type: 'SOA' as const, ttl: 42, data: {mname: 'ns1', rname: 'h', serial: 9, refresh: 1, retry: 1, expire: 1, minimum: 300}}
    const s = sampleFrom(result({status: 'nodata', authorities: [soa]}), domain, expected, 0)
    expect(s).toMatchObject({verdict: 'old', ttl: 42, records: [], serial: 9})
    // Expecting no MX at all: NODATA is the expected answer, NXDOMAIN is not.
    expect(sampleFrom(result({status: 'nodata', authorities: [soa]}), domain, [], 0).verdict).toBe('new')
    expect(sampleFrom(result({status: 'nxdomain', rcode: 'NXDOMAIN', authorities: [soa]}), domain, [], 0).verdict).toBe('old')
  })

  test('no answer is unreachable; an answer with a failing rcode or a broken DoH server is an error', () => {
    expect(isUnreachable(failed({status: 'timeout', error: 'no answer within 2000 ms'}))).toBe(true)
    expect(isUnreachable(failed({status: 'error', error: 'connect ECONNREFUSED 127.0.0.1:9'}))).toBe(true)
    expect(isUnreachable(failed({status: 'error', rcode: 'FORMERR', error: 'server answered FORMERR'}))).toBe(false)
    expect(isUnreachable(failed({status: 'servfail', rcode: 'SERVFAIL'}))).toBe(false)
    expect(isUnreachable(failed({status: 'error', error: 'unable to verify the first certificate', transport: 'doh'}))).toBe(false)
    expect(isUnreachable(failed({status: 'error', error: 'DoH server answered HTTP 502', transport: 'doh'}))).toBe(false)
  })
})

describe('server status', () => {
  const summarizeResolver = (samples: Sample[], publishedTtl: number | null = null, newTtl: number | null = null) =>
    summarize(server, samples, {role: 'resolver', publishedTtl, newTtl})

  test('updated only when every sample shows the expected set', () => {
    expect(summarizeResolver([fresh(), fresh(), fresh()]).status).toBe('updated')
    const partial = summarizeResolver([fresh(), fresh(), failed({status: 'timeout', error: 'no answer within 2000 ms'})])
    expect(partial.status).toBe('unreachable')
    expect(partial.error).toMatch(/1 of 3 samples failed/)
    expect(summarizeResolver([fresh(), failed({status: 'servfail', rcode: 'SERVFAIL'})]).status).toBe('error')
  })

  test('stale keeps the largest remaining TTL; old beside new is mixed', () => {
    const stale = summarizeResolver([old(30, 1000), old(200, 1000), old(120, 1000)])
    expect(stale).toMatchObject({status: 'stale', ttlRemaining: 200})
    // Whole seconds rounded down: the entry may live one second more.
    expect(stale.expiresAt).toBe(new Date(1000 + 201_000).toISOString())
    expect(stale.answers).toEqual([expect.objectContaining({expected: false, ttl: 200, count: 3})])
    const mixed = summarizeResolver([fresh(), old(10), failed({status: 'timeout'})])
    expect(mixed).toMatchObject({status: 'mixed', ttlRemaining: 10, failedSamples: 1})
  })

  test('clamping: old set held longer than published, or the new one longer than served', () => {
    const r = summarizeResolver([old(3600)], 300)
    expect(r.clamping).toMatchObject({rrset: 'old', observedTtl: 3600, publishedTtl: 300, excess: 3300})
    expect(r.clamping?.message).toMatch(/may serve the old MX for up to 3600 s more/)
    expect(summarizeResolver([old(300)], 300).clamping).toBeUndefined()
    expect(summarizeResolver([old(3600)], null).clamping).toBeUndefined()
    expect(summarizeResolver([fresh(900)], 300, 300).clamping).toMatchObject({rrset: 'new', excess: 600})
  })

  test('an authoritative server answering without AA is an error, whatever it says', () => {
    const s = {...fresh(), aa: false}
    expect(summarize(server, [s], {role: 'authoritative'})).toMatchObject({status: 'error', error: expect.stringMatching(/AA flag/)})
    expect(summarize(server, [{...s, aa: true, serial: 7}], {role: 'authoritative'})).toMatchObject({status: 'updated', serial: 7, expiresAt: null})
  })
})
