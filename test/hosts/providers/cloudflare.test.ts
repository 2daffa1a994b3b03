/**
 * CONTRACT TESTS. Cloudflare cannot be reached from here, so the cloudflare
 * host (through the official `cloudflare` SDK) is run against a local HTTP
 * server that speaks the few documented v4 API calls it uses, with the
 * request and response shapes of Cloudflare's API reference
 * (developers.cloudflare.com/api: Zones List, DNS Records List, DNS Records
 * Batch; the {success, errors, messages, result, result_info} envelope; error
 * code 10000 "Authentication error" with HTTP 403; 429 when rate limited).
 * They prove what we send and how we read answers, not that Cloudflare agrees.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {inspect} from 'node:util'
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'
import {createDnsClient} from '../../../src/dns/client.js'
import {createHost} from '../../../src/hosts/registry.js'
import {DnsHostError, type DnsHost} from '../../../src/hosts/types.js'

interface CfRecord {
  id: string
  name: string
  type: string
  content: string
  ttl: number
  priority?: number
  proxied?: boolean
  comment?: string | null
}

const TOKEN = 'cf-contract-token-' + Math.random().toString(36).slice(2)
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353'
let records: CfRecord[] = []
let nextId = 1
let requests: Array<{method: string; path: string; query: URLSearchParams; body: unknown; auth: string | undefined}> = []
let mode: 'ok' | 'rate-limited' = 'ok'
let server: http.Server
let baseUrl: string

const envelope = (result: unknown, extra: object = {}) => ({success: true, errors: [], messages: [], result, ...extra})
const failure = (code: number, message: string) => ({success: false, errors: [{code, message}], messages: [], result: null})

function newRecord(body: Omit<CfRecord, 'id'>): CfRecord {
  return {...body, id: (nextId++).toString(16).padStart(32, '0')}
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x')
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined
  const path = url.pathname.replace(/^\/client\/v4/, '')
  requests.push({method: req.method ?? '', path, query: url.searchParams, body, auth: req.headers.authorization})
  const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {'content-type': 'application/json', ...headers})
    res.end(JSON.stringify(payload))
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(403, failure(10000, 'Authentication error'))
  if (mode === 'rate-limited') return send(429, failure(971, 'Please wait and consider throttling your request speed'), {'retry-after': '0'})

  if (req.method === 'GET' && path === '/zones') {
    const zones = url.searchParams.get('name') === 'contoso.test' && (url.searchParams.get('page') ?? '1') === '1' ? [{id: ZONE_ID, name: 'contoso.test', status: 'active'}] : []
    return send(200, envelope(zones, {result_info: {page: 1, per_page: 20, count: zones.length, total_count: zones.length, total_pages: 1}}))
  }
  const m = /^\/zones\/([^/]+)\/dns_records(\/batch)?$/.exec(path)
  if (!m || m[1] !== ZONE_ID) return send(404, failure(7003, 'Could not route to /zones/' + (m?.[1] ?? '') + ', perhaps your object identifier is invalid?'))
  if (req.method === 'GET' && !m[2]) {
    const page = Number(url.searchParams.get('page') ?? '1')
    const list = records.filter((r) => r.name === url.searchParams.get('name.exact') && r.type === url.searchParams.get('type'))
    const result = page === 1 ? list : []
    return send(200, envelope(result, {result_info: {page, per_page: 100, count: result.length, total_count: list.length, total_pages: 1}}))
  }
  if (req.method === 'POST' && m[2]) {
    // One database transaction: deletes, then posts; any error and nothing changes.
    const b = body as {deletes?: Array<{id: string}>; posts?: Array<Omit<CfRecord, 'id'>>}
    const next = [...records]
    for (const d of b.deletes ?? []) {
      const i = next.findIndex((r) => r.id === d.id)
      if (i < 0) return send(400, failure(81044, 'Record does not exist.'))
      next.splice(i, 1)
    }
    const posted: CfRecord[] = []
    for (const p of b.posts ?? []) {
      if (p.ttl !== 1 && (p.ttl < 60 || p.ttl > 86400)) return send(400, failure(9021, 'Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.'))
      if (p.type === 'MX' && typeof p.priority !== 'number') return send(400, failure(9101, 'Priority must be set for MX records.'))
      posted.push(newRecord(p))
    }
    records = [...next, ...posted]
    return send(200, envelope({deletes: b.deletes ?? [], posts: posted}))
  }
  send(405, failure(10405, 'Method not allowed'))
}

beforeAll(async () => {
  server = http.createServer((req, res) => void handle(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  mode = 'ok'
  requests = []
  records = [
    newRecord({name: 'contoso.test', type: 'MX', content: 'mail.contoso.test', priority: 10, ttl: 3600}),
    newRecord({name: 'contoso.test', type: 'MX', content: 'backup.fabrikam.test', priority: 20, ttl: 3600}),
    newRecord({name: 'contoso.test', type: 'TXT', content: '"v=spf1 mx -all"', ttl: 1}),
  ]
})

function host(overrides: {token?: string; zoneId?: string} = {}): DnsHost {
  process.env.MXCUT_CF_TOKEN = overrides.token ?? TOKEN
  return createHost(
    {host: 'cloudflare', cloudflare: {apiToken: 'env:MXCUT_CF_TOKEN', baseUrl, ...(overrides.zoneId ? {zoneId: overrides.zoneId} : {})}},
    {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}},
  )
}

async function failed(p: Promise<unknown>): Promise<DnsHostError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DnsHostError)
  expect(inspect(err, {depth: 10})).not.toContain(TOKEN)
  return err as DnsHostError
}

describe('cloudflare host (contract tests against a local server speaking the documented Cloudflare v4 API)', () => {
  test('reads an RRset: zone id looked up by name, records listed with name.exact and type, Bearer token; TTL 1 (Auto) is 300', async () => {
    const h = host()
    expect(await h.read('contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.fabrikam.test'}]})
    expect(await h.read('contoso.test', 'TXT')).toEqual({name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 mx -all']})
    expect(requests[0]).toMatchObject({method: 'GET', path: '/zones'})
    expect(requests[0].query.get('name')).toBe('contoso.test')
    const list = requests.find((r) => r.path.endsWith('/dns_records'))!
    expect(list.query.get('name.exact')).toBe('contoso.test')
    expect(list.query.get('type')).toBe('MX')
    expect(list.auth).toBe(`Bearer ${TOKEN}`)
  })

  test('swaps MX in one batch (deletes + posts); MX priority in its own field, TXT quoted, A/CNAME never proxied', async () => {
    const h = host({zoneId: ZONE_ID})
    const before = await h.read('contoso.test', 'MX')
    await h.apply([
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}], expect: {ttl: 3600, records: before!.records}},
      {action: 'replace', name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.test'], expect: null},
      {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 3600, records: ['v=spf1 include:spf.protection.outlook.test -all']},
    ])
    const batches = requests.filter((r) => r.path.endsWith('/batch'))
    expect(batches).toHaveLength(1)
    const body = batches[0].body as {deletes: Array<{id: string}>; posts: Array<Record<string, unknown>>}
    expect(body.deletes).toHaveLength(3)
    expect(body.posts).toEqual([
      {type: 'MX', name: 'contoso.test', ttl: 300, priority: 0, content: 'contoso-test.mail.protection.outlook.test', comment: 'mxcut'},
      {type: 'CNAME', name: 'autodiscover.contoso.test', ttl: 3600, content: 'autodiscover.outlook.test', proxied: false, comment: 'mxcut'},
      {type: 'TXT', name: 'contoso.test', ttl: 3600, content: '"v=spf1 include:spf.protection.outlook.test -all"', comment: 'mxcut'},
    ])
    expect(await h.read('contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}]})
    expect((await h.read('contoso.test', 'TXT'))?.records).toEqual(['v=spf1 include:spf.protection.outlook.test -all'])
  })

  test('a null MX is written as priority 0, content "."; delete removes every record of the RRset', async () => {
    const h = host({zoneId: ZONE_ID})
    await h.apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: '.'}]}])
    expect(records.filter((r) => r.type === 'MX')).toMatchObject([{priority: 0, content: '.'}])
    expect(await h.read('contoso.test', 'MX')).toMatchObject({records: [{priority: 0, exchange: '.'}]})
    await h.apply([{action: 'delete', name: 'contoso.test', type: 'MX'}])
    expect(await h.read('contoso.test', 'MX')).toBeNull()
  })

  test('conflict when the RRset changed since it was read; nothing sent', async () => {
    const h = host({zoneId: ZONE_ID})
    const err = await failed(h.apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'new.fabrikam.test'}], expect: {ttl: 3600, records: [{priority: 10, exchange: 'other.fabrikam.test'}]}}]))
    expect(err.kind).toBe('conflict')
    expect(requests.some((r) => r.path.endsWith('/batch'))).toBe(false)
  })

  test('typed one-line errors: bad token (auth, names the reference), unknown zone, rate limit, API refusal, unreachable', async () => {
    const auth = await failed(host({token: 'wrong-token-value'}).read('contoso.test', 'MX'))
    expect(auth.kind).toBe('auth')
    expect(auth.message).toMatch(/refused the token from env:MXCUT_CF_TOKEN .*10000: Authentication error/)
    expect(auth.message).not.toContain('wrong-token-value')

    const zone = await failed(host({zoneId: 'ffffffffffffffffffffffffffffffff'}).read('contoso.test', 'MX'))
    expect(zone.kind).toBe('zone-not-found')

    mode = 'rate-limited'
    const rate = await failed(host({zoneId: ZONE_ID}).read('contoso.test', 'MX'))
    expect(rate.kind).toBe('rate-limited')
    mode = 'ok'

    const bad = await failed(host({zoneId: ZONE_ID}).apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 30, records: [{priority: 0, exchange: 'x.fabrikam.test'}]}]))
    expect(bad.kind).toBe('rejected')
    expect(bad.message).toMatch(/9021: Invalid TTL/)
    expect(records.filter((r) => r.type === 'MX')).toHaveLength(2)

    const closed = http.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    process.env.MXCUT_CF_TOKEN = TOKEN
    const down = await failed(
      createHost({host: 'cloudflare', cloudflare: {apiToken: 'env:MXCUT_CF_TOKEN', zoneId: ZONE_ID, baseUrl: `http://127.0.0.1:${port}/client/v4`}}, {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}}).read('contoso.test', 'MX'),
    )
    expect(down.kind).toBe('unreachable')

    for (const err of [auth, zone, rate, bad, down]) expect(err.message).not.toContain('\n')
  })

  test('the loopback guard applies to the configured endpoint: the real API is refused under MXCUT_LOOPBACK_ONLY', async () => {
    process.env.MXCUT_CF_TOKEN = TOKEN
    const h = createHost({host: 'cloudflare', cloudflare: {apiToken: 'env:MXCUT_CF_TOKEN', zoneId: ZONE_ID}}, {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}})
    await expect(h.read('contoso.test', 'MX')).rejects.toThrow(/refusing HTTPS connection to api\.cloudflare\.com: MXCUT_LOOPBACK_ONLY/)
  })
})
