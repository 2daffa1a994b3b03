/**
 * CONTRACT TESTS. Microsoft Graph cannot be reached from here, so mxcut's
 * Graph client runs against a local HTTPS server (test/helpers/graph.ts) that
 * speaks the documented v1.0 calls: GET /domains/{id}/serviceConfigurationRecords
 * and /verificationDnsRecords, domainDnsRecord objects, @odata.nextLink
 * paging, the {error: {code, message}} body, 401/403/404/429. They prove what
 * we send and how we read the answers, not that Microsoft agrees.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {readTenantRecords} from '../../src/profiles/microsoft-graph.js'
import {m365Domain, startFakeGraph, type FakeGraph} from '../helpers/graph.js'

let graph: FakeGraph

beforeAll(async () => {
  graph = await startFakeGraph()
  graph.domains.set('contoso.test', m365Domain('contoso.test', 'contoso-test.o-v1.mx.microsoft', 'MS=ms45678912'))
  process.env.MXCUT_TEST_GRAPH_TOKEN = graph.token
  process.env.MXCUT_TEST_GRAPH_WEAK = graph.weakToken
})
afterAll(async () => graph?.close())

const read = (domain: string, token = 'env:MXCUT_TEST_GRAPH_TOKEN') => readTenantRecords(domain, {token, endpoint: graph.endpoint}, {ca: graph.ca.caPem, timeoutMs: 5000})

describe('Microsoft Graph: the tenant says what the domain needs', () => {
  test('MX, SPF include, autodiscover and the MS= TXT, read over every page; records of other services skipped', async () => {
    const r = await read('Contoso.TEST')
    expect(r).toEqual({
      source: 'Microsoft Graph',
      domain: 'contoso.test',
      mx: [{priority: 0, exchange: 'contoso-test.o-v1.mx.microsoft'}],
      spfInclude: 'spf.protection.outlook.com',
      autodiscover: 'autodiscover.outlook.com',
      verification: 'MS=ms45678912',
      readAt: expect.any(String),
    })
    const paths = graph.requests.map((q) => q.path)
    expect(paths).toContain('/v1.0/domains/contoso.test/serviceConfigurationRecords')
    expect(paths).toContain('/v1.0/domains/contoso.test/serviceConfigurationRecords?$skiptoken=2')
    expect(paths).toContain('/v1.0/domains/contoso.test/verificationDnsRecords')
    expect(graph.requests.every((q) => q.method === 'GET' && q.auth === `Bearer ${graph.token}`)).toBe(true)
  })

  test('throttled (429 with Retry-After): asked again, then read', async () => {
    graph.throttle(2)
    expect((await read('contoso.test')).mx).toHaveLength(1)
  })

  test('each refusal is one line saying what to do, and never shows the token', async () => {
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [read('contoso.test', 'env:MXCUT_TEST_GRAPH_WRONG'), /environment variable MXCUT_TEST_GRAPH_WRONG is not set/],
      [readTenantRecords('contoso.test', {token: 'env:MXCUT_TEST_GRAPH_WEAK', endpoint: graph.endpoint}, {ca: graph.ca.caPem}), /Authorization_RequestDenied.*needs the Domain\.Read\.All permission/],
      [read('fabrikam.test'), /knows no domain fabrikam\.test in this tenant \(HTTP 404 Request_ResourceNotFound/],
    ]
    process.env.MXCUT_TEST_GRAPH_BAD = 'not-the-token'
    cases.push([read('contoso.test', 'env:MXCUT_TEST_GRAPH_BAD'), /refused the token in target\.graph\.token \(HTTP 401 InvalidAuthenticationToken.*az account get-access-token/])
    cases.push([readTenantRecords('contoso.test', {token: 'env:MXCUT_TEST_GRAPH_TOKEN', endpoint: graph.endpoint}, {timeoutMs: 3000}), /Microsoft Graph at https:\/\/127\.0\.0\.1:\d+ did not answer \(.*certificate/])
    for (const [p, re] of cases) {
      const err = await p.then(
        () => null,
        (e: unknown) => e as Error,
      )
      expect(err?.message).toMatch(re)
      expect(err?.message.split('\n')).toHaveLength(1)
      expect(err?.message).not.toContain(graph.token)
      expect(err?.message).not.toContain(graph.weakToken)
    }
  })

  test('with MXCUT_LOOPBACK_ONLY set, the real Graph is refused before any connection', async () => {
    await expect(readTenantRecords('contoso.test', {token: 'env:MXCUT_TEST_GRAPH_TOKEN'})).rejects.toThrow(/refusing HTTPS connection to graph\.microsoft\.com/)
  })
})
