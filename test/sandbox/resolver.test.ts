import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {createDnsClient, query} from '../../src/dns/client.js'
import {signMessage} from '../../src/dns/tsig.js'
import {buildUpdateMessage, sendUpdate} from '../../src/dns/update.js'
import {startAuthoritative, type AuthoritativeServer} from '../../src/sandbox/authoritative.js'
import {createSimClock} from '../../src/sandbox/clock.js'
import {randomTsigKey} from '../../src/sandbox/index.js'
import {startResolver, type SandboxResolver} from '../../src/sandbox/resolver.js'
import {createZone} from '../../src/sandbox/zone.js'

const SOA = {mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 90}
const ROOT_SOA = {mname: 'sandbox', rname: 'hostmaster.sandbox', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60}

describe('sandbox caching resolvers (over UDP/TCP on loopback)', () => {
  const clock = createSimClock({start: 0})
  const key = randomTsigKey()
  let primary: AuthoritativeServer
  let world: AuthoritativeServer
  const resolvers: Record<string, SandboxResolver> = {}

  beforeAll(async () => {
    primary = await startAuthoritative({
      name: 'primary',
      clock,
      updateKeys: [key],
      zones: [
        createZone('contoso.test', {ttl: 600, data: SOA}, [
          {name: 'contoso.test', type: 'MX', ttl: 600, records: [{priority: 10, exchange: 'mx.fabrikam.example'}]},
          {name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 300, records: ['autodiscover.outlook.example']},
        ]),
      ],
    })
    world = await startAuthoritative({
      name: 'world',
      clock,
      zones: [
        createZone('.', {ttl: 600, data: ROOT_SOA}, [
          {name: 'mx.fabrikam.example', type: 'A', ttl: 3600, records: ['192.0.2.10']},
          {name: 'autodiscover.outlook.example', type: 'A', ttl: 60, records: ['192.0.2.20']},
        ]),
      ],
    })
    const upstreams = [
      {zone: 'contoso.test', servers: [primary.server]},
      {zone: '.', servers: [world.server]},
    ]
    resolvers.steady = await startResolver({name: 'steady', clock, upstreams})
    resolvers.clamping = await startResolver({name: 'clamping', clock, upstreams, behaviour: {minTtl: 1800}})
    resolvers.lossy = await startResolver({name: 'lossy', clock, upstreams, behaviour: {dropEvery: 2}})
    resolvers.slow = await startResolver({name: 'slow', clock, upstreams, behaviour: {delayMs: 150}})
  })
  afterAll(async () => {
    await Promise.all([primary, world, ...Object.values(resolvers)].map((s) => s?.close()))
  })

  it('answers recursively with RA, not AA, and counts the remaining TTL down in simulated time', async () => {
    const first = await query(resolvers.steady.server, 'contoso.test', 'MX')
    expect(first).toMatchObject({status: 'ok', aa: false, ra: true})
    expect(first.answers[0].ttl).toBe(600)
    await clock.advance(250_000)
    const later = await query(resolvers.steady.server, 'contoso.test', 'MX')
    expect(later.answers[0].ttl).toBe(350)
    expect(resolvers.steady.cached('contoso.test', 'MX')?.remaining).toBe(350)
  })

  it('keeps serving the cached RRset after the zone changed, until the TTL runs out', async () => {
    const msg = buildUpdateMessage('contoso.test', [], [
      {name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0},
      {name: 'contoso.test', type: 'MX', class: 'IN', ttl: 300, data: {priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}},
    ])
    await sendUpdate(primary.server, signMessage(msg, key).message)
    const stale = await query(resolvers.steady.server, 'contoso.test', 'MX')
    expect(stale.answers[0].data).toEqual({priority: 10, exchange: 'mx.fabrikam.example'})
    await clock.advance(350_000)
    const fresh = await query(resolvers.steady.server, 'contoso.test', 'MX')
    expect(fresh.answers[0]).toMatchObject({ttl: 300, data: {priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}})
    const served = resolvers.steady.served.filter((s) => s.type === 'MX').map((s) => s.data[0])
    expect(served).toEqual(['10 mx.fabrikam.example.', '10 mx.fabrikam.example.', '10 mx.fabrikam.example.', '0 contoso-test.mail.protection.outlook.com.'])
  })

  it('a clamping resolver holds a short TTL for its minimum', async () => {
    const r = await query(resolvers.clamping.server, 'contoso.test', 'MX')
    expect(r.answers[0].ttl).toBe(1800)
    await clock.advance(1000_000)
    expect((await query(resolvers.clamping.server, 'contoso.test', 'MX')).answers[0].ttl).toBe(800)
  })

  it('caches NXDOMAIN and NODATA for the SOA minimum (RFC 2308), then asks again', async () => {
    const nx = await query(resolvers.steady.server, 'selector1._domainkey.contoso.test', 'CNAME')
    expect(nx.status).toBe('nxdomain')
    expect(nx.authorities[0]).toMatchObject({type: 'SOA', ttl: 90})
    // Published meanwhile: the negative answer still stands until its 90 s run out.
    const msg = buildUpdateMessage('contoso.test', [], [
      {name: 'selector1._domainkey.contoso.test', type: 'CNAME', class: 'IN', ttl: 300, data: 'selector1-contoso-test._domainkey.contoso.onmicrosoft.example'},
    ])
    await sendUpdate(primary.server, signMessage(msg, key).message)
    await clock.advance(60_000)
    const still = await query(resolvers.steady.server, 'selector1._domainkey.contoso.test', 'CNAME')
    expect(still.status).toBe('nxdomain')
    expect(still.authorities[0].ttl).toBe(30)
    await clock.advance(30_000)
    expect((await query(resolvers.steady.server, 'selector1._domainkey.contoso.test', 'CNAME')).status).toBe('ok')
  })

  it('follows a CNAME into another zone', async () => {
    const r = await query(resolvers.steady.server, 'autodiscover.contoso.test', 'A')
    expect(r.answers.map((a) => [a.type, a.data])).toEqual([
      ['CNAME', 'autodiscover.outlook.example'],
      ['A', '192.0.2.20'],
    ])
  })

  it('a lossy resolver drops UDP queries, so the client retries and still gets the answer', async () => {
    const before = resolvers.lossy.stats.dropped
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => query(resolvers.lossy.server, 'mx.fabrikam.example', 'A', {timeoutMs: 200, retries: 2})),
    )
    expect(results.every((r) => r.status === 'ok')).toBe(true)
    expect(resolvers.lossy.stats.dropped - before).toBeGreaterThanOrEqual(2)
    // Without retries, some queries go unanswered.
    const once = await Promise.all([1, 2].map(() => query(resolvers.lossy.server, 'mx.fabrikam.example', 'A', {timeoutMs: 200, retries: 0})))
    expect(once.map((r) => r.status).sort()).toEqual(['ok', 'timeout'])
  })

  it('a slow resolver answers, late', async () => {
    const client = createDnsClient({timeoutMs: 1000})
    const r = await client.query(resolvers.slow.server, 'mx.fabrikam.example', 'A')
    expect(r.status).toBe('ok')
    expect((await client.query(resolvers.slow.server, 'mx.fabrikam.example', 'A', {timeoutMs: 50, retries: 0})).status).toBe('timeout')
  })

  it('answers SERVFAIL when no authoritative server answers, and does not cache it', async () => {
    const dead = await startResolver({
      name: 'dead',
      clock,
      upstreams: [{zone: 'contoso.test', servers: [{kind: 'dns', address: '127.0.0.1', port: 9, name: 'nothing'}]}],
      upstreamTimeoutMs: 100,
    })
    try {
      expect((await query(dead.server, 'contoso.test', 'MX')).status).toBe('servfail')
      expect(dead.cached('contoso.test', 'MX')).toBeNull()
    } finally {
      await dead.close()
    }
  })
})
