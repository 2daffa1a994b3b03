import dgram from 'node:dgram'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createDnsClient, query} from '../../src/dns/client.js'
import {rrsetFrom} from '../../src/zone/rrset.js'
import {startLab, type Lab} from './lab.js'

let lab: Lab
// 40 TXT strings of 200 octets: ~8 KB, far over the 1232-octet EDNS buffer, so BIND must truncate over UDP.
const bigTxt = Array.from({length: 40}, (_, i) => `big IN TXT "${String(i).padStart(2, '0')}${'x'.repeat(198)}"`)

beforeAll(async () => {
  lab = await startLab({
    zones: [{name: 'contoso.test', minimum: 120, records: ['@ 3600 IN MX 10 mail', 'mail 300 IN A 127.0.0.25', 'mail 300 IN AAAA ::1', ...bigTxt]}],
    resolvers: [{}],
  })
})
afterAll(async () => lab?.stop())

describe('DNS client against BIND and Unbound', () => {
  test('TTLs read from the authoritative server are the zone-file TTLs, with AA set', async () => {
    for (const server of [lab.primary, lab.secondary]) {
      const r = await query(server, 'contoso.test', 'MX', {recursion: false})
      expect(r).toMatchObject({status: 'ok', aa: true, transport: 'udp'})
      expect(rrsetFrom(r.answers, 'contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]})
    }
    const viaResolver = await query(lab.resolvers[0], 'contoso.test', 'MX')
    expect(viaResolver).toMatchObject({status: 'ok', aa: false, ra: true})
  })

  test('a large RRset is truncated over UDP and read whole over TCP', async () => {
    const r = await query(lab.primary, 'big.contoso.test', 'TXT', {recursion: false})
    expect(r.transport).toBe('tcp')
    expect(r.status).toBe('ok')
    expect(r.answers).toHaveLength(40)
    const noEdns = await query(lab.primary, 'mail.contoso.test', 'A', {recursion: false, ednsPayload: 0})
    expect(noEdns).toMatchObject({status: 'ok', transport: 'udp'})
  })

  test('NXDOMAIN and NODATA are told apart, with the SOA for negative caching', async () => {
    const nx = await query(lab.primary, 'nothere.contoso.test', 'MX', {recursion: false})
    expect(nx.status).toBe('nxdomain')
    const soa = nx.authorities.find((a) => a.type === 'SOA')
    expect(soa?.name).toBe('contoso.test')
    expect((soa?.data as {minimum: number}).minimum).toBe(120)
    const nodata = await query(lab.primary, 'mail.contoso.test', 'MX', {recursion: false})
    expect(nodata.status).toBe('nodata')
    expect(nodata.authorities.some((a) => a.type === 'SOA')).toBe(true)
    // The same distinction survives a resolver.
    expect((await query(lab.resolvers[0], 'nothere.contoso.test', 'MX')).status).toBe('nxdomain')
    expect((await query(lab.resolvers[0], 'mail.contoso.test', 'MX')).status).toBe('nodata')
  })

  test('a question outside the server\'s zones is refused, not answered', async () => {
    const r = await query(lab.secondary, 'fabrikam.example', 'MX', {recursion: false})
    expect(['refused', 'servfail']).toContain(r.status)
  })

  test('a silent address times out within the bound', async () => {
    const silent = dgram.createSocket('udp4')
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()))
    try {
      const r = await query({kind: 'dns', address: '127.0.0.1', port: silent.address().port, name: 'silent'}, 'contoso.test', 'MX', {timeoutMs: 200, retries: 1})
      expect(r.status).toBe('timeout')
    } finally {
      silent.close()
    }
  })

  test('many distinct names concurrently through a resolver', async () => {
    const client = createDnsClient({concurrency: 32})
    const results = await Promise.all(Array.from({length: 200}, (_, i) => client.query(lab.resolvers[0], `n${i}.contoso.test`, 'A')))
    expect(results.every((r) => r.status === 'nxdomain')).toBe(true)
  })
})
