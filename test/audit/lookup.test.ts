import {describe, expect, test} from 'vitest'
import type {DnsClient, QueryOptions, QueryResult} from '../../src/dns/client.js'
import type {Rr} from '../../src/dns/records.js'
import type {DnsServer, ServerSpec} from '../../src/dns/server.js'
import {createLookup, resolveHost} from '../../src/audit/lookup.js'

/** A fake client for the routing logic (which server is asked, with RD or not); the lab tests cross the wire. */
function fakeClient(answer: (server: ServerSpec, name: string, type: string, rd: boolean) => Partial<QueryResult>) {
  const asked: string[] = []
  const client: DnsClient = {
    async query(server, name, type, options: QueryOptions = {}) {
      const rd = options.recursion !== false
      asked.push(`${server.name} ${name} ${type} ${rd ? 'RD' : 'noRD'}`)
      return {server, name, type, status: 'nodata', aa: false, ra: rd, answers: [], authorities: [], additionals: [], transport: 'udp', rttMs: 1, ...answer(server, name, type, rd)}
    },
  }
  return {client, asked}
}

const auth = {kind: 'dns', address: '127.0.0.1', port: 53, name: 'ns1', host: 'ns1'} as DnsServer & {host: string}
const resolver: DnsServer = {kind: 'dns', address: '127.0.0.2', port: 53, name: 'res'}
const a = (name: string, data: string): Rr => ({name, type: 'A', ttl: 60, data})
const cname = (name: string, data: string): Rr => ({name, type: 'CNAME', ttl: 60, data})

describe('lookups: in-zone names from the zone, the rest from resolvers', () => {
  test('in-zone names go to the authoritative server without RD; others to the resolver, cached across lookups', async () => {
    const {client, asked} = fakeClient((server, name) => (server.name === 'ns1' ? {status: 'ok', aa: true, answers: [a(name, '192.0.2.1')]} : {status: 'ok', answers: [a(name, '192.0.2.2')]}))
    const cache = new Map()
    const one = createLookup({client, zone: 'contoso.test', authoritative: [auth], resolvers: [resolver], timeoutMs: 100, cache})
    const two = createLookup({client, zone: 'fabrikam.test', authoritative: [auth], resolvers: [resolver], timeoutMs: 100, cache})
    expect((await one('mail.contoso.test', 'A')).from).toBe('127.0.0.1')
    expect((await one('mx.provider.test', 'A')).from).toBe('127.0.0.2')
    await two('mx.provider.test', 'A')
    expect(asked).toEqual(['ns1 mail.contoso.test A noRD', 'res mx.provider.test A RD'])
  })

  test('a referral from the zone (a delegated child) is asked of the resolver', async () => {
    const {client, asked} = fakeClient((server) => (server.name === 'ns1' ? {status: 'nodata', aa: false} : {status: 'ok', answers: [a('x.sub.contoso.test', '192.0.2.3')]}))
    const lookup = createLookup({client, zone: 'contoso.test', authoritative: [auth], resolvers: [resolver], timeoutMs: 100})
    expect((await lookup('x.sub.contoso.test', 'A')).answers).toHaveLength(1)
    expect(asked).toEqual(['ns1 x.sub.contoso.test A noRD', 'res x.sub.contoso.test A RD'])
  })

  test('without a resolver, names outside the zone are "not-looked-up"', async () => {
    const {client} = fakeClient(() => ({}))
    const lookup = createLookup({client, zone: 'contoso.test', authoritative: [auth], resolvers: [], timeoutMs: 100})
    expect((await lookup('mx.provider.test', 'A')).status).toBe('not-looked-up')
  })

  test('resolveHost follows a CNAME out of the zone and remembers the alias', async () => {
    const {client} = fakeClient((server, name, type) => {
      if (server.name === 'ns1') return {status: 'ok', aa: true, answers: [cname('mx.contoso.test', 'mail.provider.test')]}
      return type === 'A' ? {status: 'ok', answers: [a('mail.provider.test', '192.0.2.9')]} : {status: 'nodata'}
    })
    const lookup = createLookup({client, zone: 'contoso.test', authoritative: [auth], resolvers: [resolver], timeoutMs: 100})
    expect(await resolveHost(lookup, 'mx.contoso.test')).toMatchObject({status: 'ok', cname: 'mail.provider.test', addresses: ['192.0.2.9']})
  })

  test('NODATA for A with a failed AAAA question is "could not tell", not "no address"', async () => {
    const {client} = fakeClient((_s, _n, type) => (type === 'A' ? {status: 'nodata'} : {status: 'servfail'}))
    const lookup = createLookup({client, zone: 'contoso.test', authoritative: [], resolvers: [resolver], timeoutMs: 100})
    expect((await resolveHost(lookup, 'mx.provider.test')).status).toBe('servfail')
  })
})
