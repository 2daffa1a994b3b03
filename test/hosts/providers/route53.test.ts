/**
 * CONTRACT TESTS. AWS cannot be reached from here, so the route53 host
 * (through the official @aws-sdk/client-route-53) runs against a local HTTP
 * server that speaks the three documented REST-XML calls it uses, with the
 * shapes of the Route 53 API Reference (2013-04-01):
 *   POST /2013-04-01/hostedzone/{Id}/rrset      ChangeResourceRecordSets
 *   GET  /2013-04-01/change/{Id}                GetChange (PENDING, then INSYNC)
 *   GET  /2013-04-01/hostedzone/{Id}/rrset      ListResourceRecordSets (name, type, maxitems)
 * and its error envelope <ErrorResponse><Error><Code>…: InvalidChangeBatch for
 * a DELETE that does not match or a CREATE that exists (the whole batch is
 * refused), NoSuchHostedZone, InvalidClientTokenId, Throttling. The server
 * checks the SigV4 Authorization header names the access key; it does not
 * verify the signature. These tests prove what we send and how we read the
 * answers, not that AWS agrees.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {inspect} from 'node:util'
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'
import {createDnsClient} from '../../../src/dns/client.js'
import {createHost} from '../../../src/hosts/registry.js'
import {DnsHostError, type DnsHost} from '../../../src/hosts/types.js'

const ZONE_ID = 'Z0123456789CONTRACT'
const ACCESS_KEY = 'AKIACONTRACTTEST0001'
const SECRET_KEY = 'contract-secret-' + Math.random().toString(36).slice(2)
const NS = 'https://route53.amazonaws.com/doc/2013-04-01/'

interface Rrset {
  name: string
  type: string
  ttl: number
  values: string[]
}

let zone: Rrset[] = []
let changes = new Map<string, number>()
let requests: Array<{method: string; path: string; query: URLSearchParams; body: string}> = []
let throttle = false
let server: http.Server
let endpoint: string

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const xmlUnescape = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&')
const tag = (xml: string, name: string) => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)
  return m ? xmlUnescape(m[1]) : undefined
}
const all = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1])

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`
}

function rrsetXml(r: Rrset): string {
  return `<ResourceRecordSet><Name>${r.name}</Name><Type>${r.type}</Type><TTL>${r.ttl}</TTL><ResourceRecords>${r.values.map((v) => `<ResourceRecord><Value>${xmlEscape(v)}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>`
}

/** Route 53 lists in DNS order: labels compared right to left, then type. */
const order = (r: {name: string; type: string}) => r.name.toLowerCase().replace(/\.$/, '').split('.').reverse().join('\u0000') + '\u0001' + r.type

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x')
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks).toString()
  requests.push({method: req.method ?? '', path: url.pathname, query: url.searchParams, body})
  const send = (status: number, xml: string) => {
    res.writeHead(status, {'content-type': 'text/xml', 'x-amzn-requestid': '00000000-0000-0000-0000-000000000000'})
    res.end(xml)
  }
  const auth = req.headers.authorization ?? ''
  if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/`)) return send(403, errorXml('InvalidClientTokenId', 'The security token included in the request is invalid.'))
  if (throttle) return send(400, errorXml('Throttling', 'Rate exceeded'))

  const change = /^\/2013-04-01\/change\/([^/]+)$/.exec(url.pathname)
  if (req.method === 'GET' && change) {
    const polls = (changes.get(change[1]) ?? 0) + 1
    changes.set(change[1], polls)
    const status = polls >= 2 ? 'INSYNC' : 'PENDING'
    return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<GetChangeResponse xmlns="${NS}"><ChangeInfo><Id>/change/${change[1]}</Id><Status>${status}</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>`)
  }
  const rr = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(url.pathname)
  if (!rr) return send(404, errorXml('NotFound', 'no such resource'))
  if (rr[1] !== ZONE_ID) return send(404, errorXml('NoSuchHostedZone', `No hosted zone found with ID: ${rr[1]}`))
  if (req.method === 'GET') {
    const start = {name: url.searchParams.get('name') ?? '', type: url.searchParams.get('type') ?? ''}
    const max = Number(url.searchParams.get('maxitems') ?? '300')
    const sorted = [...zone].sort((a, b) => order(a).localeCompare(order(b))).filter((r) => order(r) >= order(start))
    const page = sorted.slice(0, max)
    const next = sorted[max]
    return send(
      200,
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(rrsetXml).join('')}</ResourceRecordSets><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${next ? `<NextRecordName>${next.name}</NextRecordName><NextRecordType>${next.type}</NextRecordType>` : ''}<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`,
    )
  }
  // ChangeResourceRecordSets: all changes apply, or none.
  const next = zone.map((r) => ({...r, values: [...r.values]}))
  for (const c of all(body, 'Change')) {
    const action = tag(c, 'Action')
    const set: Rrset = {name: tag(c, 'Name') ?? '', type: tag(c, 'Type') ?? '', ttl: Number(tag(c, 'TTL')), values: all(c, 'Value').map(xmlUnescape)}
    const i = next.findIndex((r) => r.name === set.name && r.type === set.type)
    const label = `[name='${set.name}', type='${set.type}']`
    if (action === 'CREATE') {
      if (i >= 0) return send(400, errorXml('InvalidChangeBatch', `[Tried to create resource record set ${label} but it already exists]`))
      next.push(set)
    } else if (action === 'DELETE') {
      if (i < 0) return send(400, errorXml('InvalidChangeBatch', `[Tried to delete resource record set ${label} but it was not found]`))
      const cur = next[i]
      if (cur.ttl !== set.ttl || [...cur.values].sort().join('|') !== [...set.values].sort().join('|')) {
        return send(400, errorXml('InvalidChangeBatch', `[Tried to delete resource record set ${label} but the values provided do not match the current values]`))
      }
      next.splice(i, 1)
    } else if (action === 'UPSERT') {
      if (i >= 0) next.splice(i, 1)
      next.push(set)
    } else {
      return send(400, errorXml('InvalidInput', `Invalid action ${action}`))
    }
  }
  zone = next
  const id = 'C' + Math.random().toString(36).slice(2, 12).toUpperCase()
  send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/${id}</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`)
}

beforeAll(async () => {
  server = http.createServer((req, res) => void handle(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  throttle = false
  requests = []
  changes = new Map()
  zone = [
    {name: 'contoso.test.', type: 'MX', ttl: 3600, values: ['10 mail.contoso.test.', '20 backup.fabrikam.test.']},
    {name: 'contoso.test.', type: 'TXT', ttl: 3600, values: ['"v=spf1 mx -all"']},
    {name: 'contoso.test.', type: 'SOA', ttl: 900, values: ['ns-1.awsdns.test. awsdns-hostmaster.amazon.test. 1 7200 900 1209600 86400']},
  ]
})

function host(overrides: {accessKey?: string; zoneId?: string} = {}): DnsHost {
  process.env.MXCUT_R53_ID = overrides.accessKey ?? ACCESS_KEY
  process.env.MXCUT_R53_SECRET = SECRET_KEY
  return createHost(
    {host: 'route53', route53: {hostedZoneId: overrides.zoneId ?? ZONE_ID, endpoint, accessKeyId: 'env:MXCUT_R53_ID', secretAccessKey: 'env:MXCUT_R53_SECRET'}},
    {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}, pollIntervalMs: 10, timeoutMs: 10_000},
  )
}

async function failed(p: Promise<unknown>): Promise<DnsHostError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DnsHostError)
  expect(inspect(err, {depth: 10})).not.toContain(SECRET_KEY)
  expect((err as Error).message).not.toContain('\n')
  return err as DnsHostError
}

describe('route53 host (contract tests against a local server speaking the documented Route 53 REST-XML API)', () => {
  test('reads an RRset with ListResourceRecordSets (name, type, maxitems=1); the next set in order is not mistaken for it', async () => {
    const h = host()
    expect(await h.read('contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.fabrikam.test'}]})
    expect(await h.read('contoso.test', 'TXT')).toMatchObject({records: ['v=spf1 mx -all']})
    expect(await h.read('contoso.test', 'CNAME')).toBeNull()
    const list = requests.find((r) => r.method === 'GET' && r.path.endsWith('/rrset'))!
    expect(list.path).toBe(`/2013-04-01/hostedzone/${ZONE_ID}/rrset`)
    expect(list.query.get('name')).toBe('contoso.test.')
    expect(list.query.get('type')).toBe('MX')
    expect(list.query.get('maxitems')).toBe('1')
  })

  test('with expect: DELETE the RRset read + CREATE the new one in one batch, then GetChange until INSYNC', async () => {
    const h = host()
    const mx = await h.read('contoso.test', 'MX')
    await h.apply([
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}], expect: {ttl: mx!.ttl, records: mx!.records}},
      {action: 'replace', name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.test'], expect: null},
    ])
    const posts = requests.filter((r) => r.method === 'POST')
    expect(posts).toHaveLength(1)
    const actions = all(posts[0].body, 'Change').map((c) => `${tag(c, 'Action')} ${tag(c, 'Name')} ${tag(c, 'Type')} ${tag(c, 'TTL')} ${all(c, 'Value').map(xmlUnescape).join(',')}`)
    expect(actions).toEqual([
      'DELETE contoso.test. MX 3600 10 mail.contoso.test.,20 backup.fabrikam.test.',
      'CREATE contoso.test. MX 300 0 contoso-test.mail.protection.outlook.test.',
      'CREATE autodiscover.contoso.test. CNAME 3600 autodiscover.outlook.test.',
    ])
    const polls = requests.filter((r) => r.path.startsWith('/2013-04-01/change/'))
    expect(polls).toHaveLength(2) // PENDING, then INSYNC
    expect(await h.read('contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}]})
  })

  test('without expect: UPSERT; a delete reads the live RRset first (Route 53 needs its exact values); TXT quoted and split at 255', async () => {
    const h = host()
    const long = 'v=DKIM1; k=rsa; p=' + 'B'.repeat(300)
    await h.apply([
      {action: 'replace', name: 'sel1._domainkey.contoso.test', type: 'TXT', ttl: 300, records: [long]},
      {action: 'delete', name: 'contoso.test', type: 'TXT'},
    ])
    const body = requests.find((r) => r.method === 'POST')!.body
    expect(all(body, 'Action')).toEqual(['UPSERT', 'DELETE'])
    const value = xmlUnescape(all(body, 'Value')[0])
    expect(value).toMatch(/^"v=DKIM1; k=rsa; p=B+" "B+"$/)
    expect((await h.read('sel1._domainkey.contoso.test', 'TXT'))?.records).toEqual([long])
    expect(await h.read('contoso.test', 'TXT')).toBeNull()
  })

  test('a TXT served as several strings is read string by string and deleted with exactly the value Route 53 holds', async () => {
    const served = '"v=spf1 mx include:spf.a.test " "include:spf.b.test -all"'
    zone[1] = {name: 'contoso.test.', type: 'TXT', ttl: 3600, values: [served, '"MS=ms1"']}
    const h = host()
    const txt = await h.read('contoso.test', 'TXT')
    expect(txt?.records).toEqual([['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all'], 'MS=ms1'])
    const merged = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test include:spf.t.test -all']
    await h.apply([{action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 3600, records: [merged, 'MS=ms1'], expect: {ttl: txt!.ttl, records: txt!.records}}])
    const post = requests.find((r) => r.method === 'POST')!.body
    const [del, create] = all(post, 'Change')
    expect(all(del, 'Value').map(xmlUnescape)).toEqual([served, '"MS=ms1"'])
    expect(all(create, 'Value').map(xmlUnescape)).toEqual(['"v=spf1 mx include:spf.a.test " "include:spf.b.test include:spf.t.test -all"', '"MS=ms1"'])
    expect((await h.read('contoso.test', 'TXT'))?.records).toEqual([merged, 'MS=ms1'])
  })

  test('the RRset changed since it was read: InvalidChangeBatch becomes a conflict; the batch is refused whole', async () => {
    const h = host()
    const err = await failed(
      h.apply([
        {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 -all'], expect: {ttl: 3600, records: ['v=spf1 mx -all']}},
        {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'new.fabrikam.test'}], expect: {ttl: 3600, records: [{priority: 10, exchange: 'other.fabrikam.test'}]}},
      ]),
    )
    expect(err.kind).toBe('conflict')
    expect(err.message).toMatch(/contoso\.test MX changed since it was read: expected 10 other\.fabrikam\.test\., found 10 mail\.contoso\.test\., 20 backup\.fabrikam\.test\..*do not match/)
    expect(zone.find((r) => r.type === 'TXT')?.values).toEqual(['"v=spf1 mx -all"'])
  })

  test('re-applying a batch that already landed succeeds (a resumed run)', async () => {
    const h = host()
    const change = {action: 'replace' as const, name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 -all'], expect: {ttl: 3600, records: ['v=spf1 mx -all']}}
    await h.apply([change])
    await h.apply([change])
    expect(await h.read('contoso.test', 'TXT')).toMatchObject({ttl: 300, records: ['v=spf1 -all']})
  })

  test('typed one-line errors: unknown access key (auth), unknown hosted zone, throttling, unreachable; no secret anywhere', async () => {
    const auth = await failed(host({accessKey: 'AKIAUNKNOWN000000000'}).read('contoso.test', 'MX'))
    expect(auth.kind).toBe('auth')
    expect(auth.message).toMatch(/refused the credentials .*InvalidClientTokenId/)
    const missing = await failed(host({zoneId: 'ZNOSUCHZONE'}).read('contoso.test', 'MX'))
    expect(missing.kind).toBe('zone-not-found')
    expect(missing.message).toMatch(/NoSuchHostedZone/)
    throttle = true
    const rate = await failed(host().apply([{action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 300, records: ['x']}]))
    expect(rate.kind).toBe('rate-limited')
    throttle = false
    const down = await failed(
      createHost(
        {host: 'route53', route53: {hostedZoneId: ZONE_ID, endpoint: 'http://127.0.0.1:1', accessKeyId: 'env:MXCUT_R53_ID', secretAccessKey: 'env:MXCUT_R53_SECRET'}},
        {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}},
      ).read('contoso.test', 'MX'),
    )
    expect(down.kind).toBe('unreachable')
  })

  test('the real endpoint is refused under MXCUT_LOOPBACK_ONLY, and so is the network-reaching default credential chain', async () => {
    const real = createHost({host: 'route53', route53: {hostedZoneId: ZONE_ID, accessKeyId: 'env:MXCUT_R53_ID', secretAccessKey: 'env:MXCUT_R53_SECRET'}}, {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}})
    await expect(real.read('contoso.test', 'MX')).rejects.toThrow(/refusing HTTPS connection to route53\.amazonaws\.com/)
    const chain = createHost({host: 'route53', route53: {hostedZoneId: ZONE_ID, endpoint}}, {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}})
    await expect(chain.read('contoso.test', 'MX')).rejects.toThrow(/give accessKeyId and secretAccessKey references/)
  })
})
