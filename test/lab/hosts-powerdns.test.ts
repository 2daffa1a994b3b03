import net from 'node:net'
import {inspect} from 'node:util'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {createHost} from '../../src/hosts/registry.js'
import {DnsHostError, type DnsHost} from '../../src/hosts/types.js'
import {mxRecords, rrsetFrom, type RRset} from '../../src/zone/rrset.js'
import {startPdns, type Pdns} from './pdns.js'

// The powerdns host against a real PowerDNS Authoritative (gsqlite3) and its
// HTTP API; results are checked through the API and in its DNS answers.

let pdns: Pdns
const client = createDnsClient({timeoutMs: 1000, retries: 1})

beforeAll(async () => {
  pdns = await startPdns()
  process.env.MXCUT_LAB_PDNS_KEY = pdns.apiKey
  await pdns.createZone('contoso.test', [
    {name: 'contoso.test', type: 'MX', ttl: 3600, contents: ['10 mail.contoso.test.', '20 backup.fabrikam.test.']},
    {name: 'contoso.test', type: 'TXT', ttl: 3600, contents: ['"v=spf1 mx -all"']},
    {name: 'mail.contoso.test', type: 'A', ttl: 300, contents: ['127.0.0.25']},
  ])
  await pdns.createZone('nullmx.test', [{name: 'nullmx.test', type: 'MX', ttl: 600, contents: ['0 .']}])
})
afterAll(async () => pdns?.stop())

function host(zone: string, apiKey = 'env:MXCUT_LAB_PDNS_KEY', url = pdns.apiUrl): DnsHost {
  return createHost({host: 'powerdns', powerdns: {url, apiKey}}, {zone, client, authServers: [], print: () => {}})
}

async function served(name: string, type: 'MX' | 'TXT' | 'SOA'): Promise<RRset | null> {
  const r = await client.query(pdns.dns, name, type, {recursion: false})
  expect(r.aa).toBe(true)
  return rrsetFrom(r.answers, name, type)
}

async function serial(zone: string): Promise<number> {
  return ((await served(zone, 'SOA'))!.records[0] as {serial: number}).serial
}

/** A loopback port nobody listens on (fetch refuses "bad ports" such as 9 outright). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

async function failure(p: Promise<unknown>): Promise<DnsHostError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DnsHostError)
  expect(inspect(err, {depth: 10})).not.toContain(pdns.apiKey)
  return err as DnsHostError
}

describe('powerdns host against PowerDNS Authoritative', () => {
  test('lowers the MX TTL, then swaps MX and merges SPF in one PATCH; API and DNS answers agree', async () => {
    const h = host('contoso.test')
    const mx = await h.read('contoso.test', 'MX')
    expect(mx).toEqual({name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.fabrikam.test'}]})
    const s0 = await serial('contoso.test')
    await h.apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: mx!.records, expect: {ttl: 3600, records: mx!.records}}])
    expect((await served('contoso.test', 'MX'))?.ttl).toBe(300)
    expect(await serial('contoso.test')).toBeGreaterThan(s0)

    const spf = await h.read('contoso.test', 'TXT')
    await h.apply([
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}], expect: {ttl: 300, records: mx!.records}},
      {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 3600, records: ['v=spf1 mx include:spf.protection.outlook.test -all'], expect: {ttl: spf!.ttl, records: spf!.records}},
    ])
    const dnsMx = await served('contoso.test', 'MX')
    expect(mxRecords(dnsMx)).toEqual([{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}])
    expect(dnsMx?.ttl).toBe(300)
    expect((await served('contoso.test', 'TXT'))?.records).toEqual(['v=spf1 mx include:spf.protection.outlook.test -all'])
    expect(await h.read('contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}]})
  })

  test('a null MX is replaced; a TXT longer than 255 octets round-trips; a delete removes the RRset', async () => {
    const h = host('nullmx.test')
    expect(mxRecords(await h.read('nullmx.test', 'MX'))).toEqual([{priority: 0, exchange: '.'}])
    const long = 'v=DKIM1; k=rsa; p=' + 'A'.repeat(400)
    await h.apply([
      {action: 'replace', name: 'nullmx.test', type: 'MX', ttl: 120, records: [{priority: 10, exchange: 'mx1.fabrikam.test'}], expect: {ttl: 600, records: [{priority: 0, exchange: '.'}]}},
      {action: 'replace', name: 'sel1._domainkey.nullmx.test', type: 'TXT', ttl: 300, records: [long], expect: null},
    ])
    expect(mxRecords(await served('nullmx.test', 'MX'))).toEqual([{priority: 10, exchange: 'mx1.fabrikam.test'}])
    expect((await client.query(pdns.dns, 'sel1._domainkey.nullmx.test', 'TXT', {recursion: false})).answers[0]?.data).toBe(long)
    expect((await h.read('sel1._domainkey.nullmx.test', 'TXT'))?.records).toEqual([long])
    await h.apply([{action: 'delete', name: 'sel1._domainkey.nullmx.test', type: 'TXT', expect: {ttl: 300, records: [long]}}])
    expect(await h.read('sel1._domainkey.nullmx.test', 'TXT')).toBeNull()
    expect((await client.query(pdns.dns, 'sel1._domainkey.nullmx.test', 'TXT', {recursion: false})).status).toBe('nxdomain')
  })

  test('someone else changed the RRset after we read it: conflict, nothing written', async () => {
    const h = host('nullmx.test')
    const read = await h.read('nullmx.test', 'MX')
    const theirs = await pdns.api('PATCH', '/zones/nullmx.test.', {
      rrsets: [{name: 'nullmx.test.', type: 'MX', ttl: 120, changetype: 'REPLACE', records: [{content: '5 theirs.fabrikam.test.', disabled: false}]}],
    })
    expect(theirs.status).toBe(204)
    const err = await failure(h.apply([{action: 'replace', name: 'nullmx.test', type: 'MX', ttl: 60, records: [{priority: 1, exchange: 'ours.fabrikam.test'}], expect: {ttl: read!.ttl, records: read!.records}}]))
    expect(err.kind).toBe('conflict')
    expect(err.message).toMatch(/nullmx\.test MX changed since it was read: expected 10 mx1\.fabrikam\.test\., found 5 theirs\.fabrikam\.test\./)
    expect(mxRecords(await served('nullmx.test', 'MX'))).toEqual([{priority: 5, exchange: 'theirs.fabrikam.test'}])
  })

  test('wrong API key: auth, names the reference not the key; unknown zone; unreachable API', async () => {
    process.env.MXCUT_LAB_PDNS_WRONG = 'not-the-key'
    const s0 = await serial('contoso.test')
    const auth = await failure(host('contoso.test', 'env:MXCUT_LAB_PDNS_WRONG').apply([{action: 'delete', name: 'contoso.test', type: 'MX'}]))
    expect(auth.kind).toBe('auth')
    expect(auth.message).toMatch(/refused the API key from env:MXCUT_LAB_PDNS_WRONG \(HTTP 401\)/)
    expect(auth.message).not.toContain('not-the-key')
    expect(await serial('contoso.test')).toBe(s0)
    expect(mxRecords(await served('contoso.test', 'MX'))).toHaveLength(1)

    // check() reads the zone: the same errors, before anything is attempted.
    await host('contoso.test').check?.()
    expect((await failure(host('contoso.test', 'env:MXCUT_LAB_PDNS_WRONG').check!())).kind).toBe('auth')
    expect((await failure(host('nowhere.test').check!())).kind).toBe('zone-not-found')

    const missing = await failure(host('nowhere.test').read('nowhere.test', 'MX'))
    expect(missing.kind).toBe('zone-not-found')
    expect(missing.message).toMatch(/has no zone nowhere\.test/)

    const closed = await closedPort()
    const down = await failure(host('contoso.test', 'env:MXCUT_LAB_PDNS_KEY', `http://127.0.0.1:${closed}`).read('contoso.test', 'MX'))
    expect(down.kind).toBe('unreachable')
    expect(down.message).toBe(`PowerDNS API at http://127.0.0.1:${closed} did not answer (ECONNREFUSED)`)
  })

  test('PowerDNS refuses bad data (a CNAME beside other data): rejected, with its reason, zone unchanged', async () => {
    const h = host('contoso.test')
    const s0 = await serial('contoso.test')
    const err = await failure(h.apply([{action: 'replace', name: 'mail.contoso.test', type: 'CNAME', ttl: 300, records: ['elsewhere.fabrikam.test']}]))
    expect(err.kind).toBe('rejected')
    expect(err.message).toMatch(/rejected the change: HTTP 422: .*CNAME/i)
    expect(await serial('contoso.test')).toBe(s0)
  })
})
