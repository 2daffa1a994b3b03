import {describe, expect, test} from 'vitest'
import type {DnsClient, QueryOptions, QueryResult} from '../../src/dns/client.js'
import type {Rr} from '../../src/dns/records.js'
import type {DnsServer, ServerSpec} from '../../src/dns/server.js'
import {createLookup, followCname, resolveHost, type LookupFn} from '../../src/audit/lookup.js'

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

/** A lookup over a table of records: each answer holds the name's records, or its CNAME (and, like a resolver, the chain) when `resolver` is set. */
function table(records: Record<string, Rr[] | 'servfail'>, resolver = false): LookupFn & {asked: string[]} {
  const asked: string[] = []
  const fn = (async (name: string, type: string) => {
    asked.push(`${name} ${type}`)
    const collected: Rr[] = []
    let current = name
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      // Like BIND, a loop ends the answer with the links so far.
      if (seen.has(current)) return {name, type, status: 'ok', answers: collected, from: 'fake'}
      seen.add(current)
      const here = records[current]
      if (here === 'servfail') return {name, type, status: 'servfail', answers: [], from: '192.0.2.53'}
      if (!here) return {name, type, status: 'nxdomain', answers: collected, from: 'fake'}
      const alias = here.find((r) => r.type === 'CNAME')
      if (!alias || type === 'CNAME') return {name, type, status: 'ok', answers: [...collected, ...here.filter((r) => r.type === type)], from: 'fake'}
      collected.push(alias)
      if (!resolver) return {name, type, status: 'ok', answers: collected, from: 'fake'}
      current = String(alias.data)
    }
    return {name, type, status: 'servfail', answers: collected, from: 'fake'}
  }) as LookupFn & {asked: string[]}
  fn.asked = asked
  return fn
}
const txt = (name: string, data: string): Rr => ({name, type: 'TXT', ttl: 60, data})

describe('followCname: CNAME chains wherever the audit reads a name', () => {
  test('an authoritative server gives one link at a time: each target is asked in turn', async () => {
    const dns = table({'_dmarc.contoso.test': [cname('_dmarc.contoso.test', 'x.host.test')], 'x.host.test': [cname('x.host.test', 'y.host.test')], 'y.host.test': [txt('y.host.test', 'v=DMARC1; p=none')]})
    const r = await followCname(dns, '_dmarc.contoso.test', 'TXT')
    expect(r).toMatchObject({status: 'ok', chain: ['_dmarc.contoso.test', 'x.host.test', 'y.host.test'], records: [{data: 'v=DMARC1; p=none'}]})
    expect(dns.asked).toEqual(['_dmarc.contoso.test TXT', 'x.host.test TXT', 'y.host.test TXT'])
  })

  test('a resolver gives the whole chain in one answer: nothing more is asked', async () => {
    const dns = table({'a.test': [cname('a.test', 'b.test')], 'b.test': [txt('b.test', 'hello')]}, true)
    expect(await followCname(dns, 'a.test', 'TXT')).toMatchObject({status: 'ok', chain: ['a.test', 'b.test']})
    expect(dns.asked).toEqual(['a.test TXT'])
  })

  test('an alias to a name that does not exist is NXDOMAIN there; a failed link is that failure', async () => {
    expect(await followCname(table({'a.test': [cname('a.test', 'gone.test')]}), 'a.test', 'TXT')).toMatchObject({status: 'nxdomain', chain: ['a.test', 'gone.test'], records: []})
    expect(await followCname(table({'a.test': [cname('a.test', 'down.test')], 'down.test': 'servfail'}), 'a.test', 'TXT')).toMatchObject({status: 'servfail', from: '192.0.2.53', chain: ['a.test', 'down.test']})
    expect(await followCname(table({'a.test': [cname('a.test', 'b.test')], 'b.test': [a('b.test', '192.0.2.1')]}), 'a.test', 'TXT')).toMatchObject({status: 'nodata', records: []})
  })

  test('a loop is reported, not followed forever, whether in one answer or across questions', async () => {
    const loop = {'a.test': [cname('a.test', 'b.test')], 'b.test': [cname('b.test', 'a.test')]}
    for (const dns of [table(loop), table(loop, true)]) {
      const r = await followCname(dns, 'a.test', 'TXT')
      expect(r).toMatchObject({broken: 'loop', status: 'error', chain: ['a.test', 'b.test', 'a.test']})
      expect(dns.asked.length).toBeLessThanOrEqual(2)
    }
  })

  test('a loop a server answers with SERVFAIL (Unbound: no links; BIND: the links) is found by asking each link as a CNAME', async () => {
    const links: Record<string, string> = {'a.test': 'b.test', 'b.test': 'a.test'}
    const asked: string[] = []
    const unbound: LookupFn = async (name, type) => {
      asked.push(`${name} ${type}`)
      if (type !== 'CNAME') return {name, type, status: 'servfail', answers: [], from: '192.0.2.53'}
      return {name, type, status: 'ok', answers: [cname(name, links[name])], from: '192.0.2.53'}
    }
    expect(await followCname(unbound, 'a.test', 'TXT')).toMatchObject({broken: 'loop', chain: ['a.test', 'b.test', 'a.test'], error: 'CNAME loop a.test → b.test → a.test'})
    expect(asked).toEqual(['a.test TXT', 'a.test CNAME', 'b.test CNAME'])
    // A SERVFAIL that is not a loop stays what it is.
    const down: LookupFn = async (name, type) => ({name, type, status: type === 'CNAME' ? 'nodata' : 'servfail', answers: [], from: '192.0.2.53'})
    expect(await followCname(down, 'a.test', 'TXT')).toMatchObject({status: 'servfail', chain: ['a.test']})
  })

  test('a chain longer than the limit is broken too', async () => {
    const long: Record<string, Rr[]> = {}
    for (let i = 0; i < 12; i++) long[`n${i}.test`] = [cname(`n${i}.test`, `n${i + 1}.test`)]
    expect(await followCname(table(long), 'n0.test', 'TXT')).toMatchObject({broken: 'too-long'})
    expect(await resolveHost(table(long), 'n0.test')).toMatchObject({status: 'error', addresses: [], error: expect.stringMatching(/longer than 8/)})
  })

  test('resolveHost catches a loop at once', async () => {
    const dns = table({'mx.test': [cname('mx.test', 'mx2.test')], 'mx2.test': [cname('mx2.test', 'mx.test')]})
    expect(await resolveHost(dns, 'mx.test')).toMatchObject({status: 'error', cname: 'mx2.test', error: expect.stringMatching(/CNAME loop mx\.test → mx2\.test → mx\.test/)})
  })
})
