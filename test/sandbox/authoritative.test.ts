import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {query} from '../../src/dns/client.js'
import {signMessage, verifyMessage} from '../../src/dns/tsig.js'
import {buildUpdateMessage, parseResponseHeader, sendUpdate} from '../../src/dns/update.js'
import {startAuthoritative, type AuthoritativeServer, type ServerEvent} from '../../src/sandbox/authoritative.js'
import {createSimClock} from '../../src/sandbox/clock.js'
import {randomTsigKey} from '../../src/sandbox/index.js'
import {createZone} from '../../src/sandbox/zone.js'

const SOA = {mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: 10, refresh: 3600, retry: 600, expire: 86400, minimum: 120}

const SPLIT = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all']

function contoso() {
  return createZone('contoso.test', {ttl: 600, data: SOA}, [
    {name: 'contoso.test', type: 'NS', ttl: 600, records: ['ns1.contoso.test']},
    {name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]},
    {name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 mx -all', 'x'.repeat(700)]},
    {name: 'mail.contoso.test', type: 'A', ttl: 300, records: ['192.0.2.25']},
    {name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 300, records: ['autodiscover.outlook.com']},
    {name: 'www.contoso.test', type: 'CNAME', ttl: 300, records: ['mail.contoso.test']},
    {name: 'a.b.contoso.test', type: 'A', ttl: 300, records: ['192.0.2.1']},
    {name: 'split.contoso.test', type: 'TXT', ttl: 300, records: [SPLIT]},
  ])
}

describe('sandbox authoritative server (over UDP/TCP on loopback)', () => {
  const clock = createSimClock({start: 0})
  const key = randomTsigKey()
  const events: ServerEvent[] = []
  let primary: AuthoritativeServer
  let secondary: AuthoritativeServer

  beforeAll(async () => {
    secondary = await startAuthoritative({name: 'secondary', clock, zones: [], events, transferDelayMs: 45_000})
    primary = await startAuthoritative({name: 'primary', clock, zones: [contoso()], events, updateKeys: [key], notify: [secondary.server]})
    secondary.follow(primary.server)
    await secondary.refresh('contoso.test')
  })
  afterAll(async () => {
    await primary?.close()
    await secondary?.close()
  })

  it('answers with AA and the RRset, over UDP and over TCP', async () => {
    const udp = await query(primary.server, 'contoso.test', 'MX', {recursion: false})
    expect(udp).toMatchObject({status: 'ok', aa: true, transport: 'udp'})
    expect(udp.answers).toEqual([{name: 'contoso.test', type: 'MX', ttl: 3600, data: {priority: 10, exchange: 'mail.contoso.test'}}])
    const tcp = await query(primary.server, 'contoso.test', 'MX', {recursion: false, tcp: 'only'})
    expect(tcp).toMatchObject({status: 'ok', aa: true, transport: 'tcp'})
  })

  it('splits long TXT into character-strings that read back joined', async () => {
    const r = await query(primary.server, 'contoso.test', 'TXT', {recursion: false})
    expect(r.answers.map((a) => a.data).sort()).toEqual(['v=spf1 mx -all', 'x'.repeat(700)])
  })

  it('answers NXDOMAIN and NODATA with the SOA at the negative-caching TTL (RFC 2308)', async () => {
    const nx = await query(primary.server, 'nope.contoso.test', 'A', {recursion: false})
    expect(nx).toMatchObject({status: 'nxdomain', aa: true})
    expect(nx.authorities[0]).toMatchObject({type: 'SOA', name: 'contoso.test', ttl: 120})
    const nodata = await query(primary.server, 'mail.contoso.test', 'MX', {recursion: false})
    expect(nodata.status).toBe('nodata')
    expect(nodata.authorities[0]).toMatchObject({type: 'SOA', ttl: 120})
    // An empty non-terminal exists: NODATA, not NXDOMAIN.
    expect((await query(primary.server, 'b.contoso.test', 'A', {recursion: false})).status).toBe('nodata')
  })

  it('follows in-zone CNAMEs and stops at out-of-zone ones', async () => {
    const r = await query(primary.server, 'www.contoso.test', 'A', {recursion: false})
    expect(r.answers.map((a) => a.type)).toEqual(['CNAME', 'A'])
    const out = await query(primary.server, 'autodiscover.contoso.test', 'A', {recursion: false})
    expect(out.answers).toEqual([{name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 300, data: 'autodiscover.outlook.com'}])
  })

  it('refuses names outside its zones', async () => {
    expect((await query(primary.server, 'example.org', 'A', {recursion: false})).status).toBe('refused')
  })

  it('sets TC on UDP when the answer does not fit, and TCP carries it', async () => {
    const r = await query(primary.server, 'contoso.test', 'TXT', {recursion: false, ednsPayload: 0})
    expect(r.transport).toBe('tcp')
    expect(r.answers).toHaveLength(2)
    // With EDNS (1232 octets) the same answer fits in one datagram.
    expect((await query(primary.server, 'contoso.test', 'TXT', {recursion: false})).transport).toBe('udp')
  })

  it('applies a TSIG-signed UPDATE, signs its answer, and the secondary follows after its lag via NOTIFY', async () => {
    const msg = buildUpdateMessage(
      'contoso.test',
      [{name: 'contoso.test', type: 'MX', class: 'IN', ttl: 0, data: {priority: 10, exchange: 'mail.contoso.test'}}],
      [
        {name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0},
        {name: 'contoso.test', type: 'MX', class: 'IN', ttl: 300, data: {priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}},
      ],
    )
    const signed = signMessage(msg, key)
    const {response} = await sendUpdate(primary.server, signed.message)
    expect(parseResponseHeader(response).rcodeName).toBe('NOERROR')
    expect(verifyMessage(response, key, {requestMac: signed.mac}).ok).toBe(true)

    const onPrimary = await query(primary.server, 'contoso.test', 'MX', {recursion: false})
    expect(onPrimary.answers).toEqual([
      {name: 'contoso.test', type: 'MX', ttl: 300, data: {priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}},
    ])
    const soa = await query(primary.server, 'contoso.test', 'SOA', {recursion: false})
    expect((soa.answers[0].data as {serial: number}).serial).toBe(11)

    // The secondary lags: still the old MX until 45 simulated seconds have passed.
    await clock.advance(44_000)
    const stale = await query(secondary.server, 'contoso.test', 'MX', {recursion: false})
    expect(stale.answers[0].data).toEqual({priority: 10, exchange: 'mail.contoso.test'})
    await clock.advance(1_000)
    const fresh = await query(secondary.server, 'contoso.test', 'MX', {recursion: false})
    expect(fresh.answers[0].data).toEqual({priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'})
    expect(events.filter((e) => e.kind === 'transfer').map((e) => [e.server, e.serial, e.at])).toEqual([
      ['secondary', 10, 0],
      ['secondary', 11, 45_000],
    ])
  })

  it('refuses a failed prerequisite with NXRRSET and changes nothing', async () => {
    const msg = buildUpdateMessage(
      'contoso.test',
      [{name: 'contoso.test', type: 'MX', class: 'IN', ttl: 0, data: {priority: 10, exchange: 'mail.contoso.test'}}],
      [{name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0}],
    )
    const {response} = await sendUpdate(primary.server, signMessage(msg, key).message)
    expect(parseResponseHeader(response).rcodeName).toBe('NXRRSET')
    expect((await query(primary.server, 'contoso.test', 'MX', {recursion: false})).status).toBe('ok')
  })

  it('refuses unsigned updates, updates signed with another key, and a bad MAC', async () => {
    const msg = buildUpdateMessage('contoso.test', [], [{name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0}])
    expect(parseResponseHeader((await sendUpdate(primary.server, msg)).response).rcodeName).toBe('REFUSED')
    const other = randomTsigKey('other-key')
    expect(parseResponseHeader((await sendUpdate(primary.server, signMessage(msg, other).message)).response).rcodeName).toBe('NOTAUTH')
    const forged = signMessage(msg, {...key, secret: Buffer.alloc(32, 7)}).message
    expect(parseResponseHeader((await sendUpdate(primary.server, forged)).response).rcodeName).toBe('NOTAUTH')
    expect((await query(primary.server, 'contoso.test', 'MX', {recursion: false})).status).toBe('ok')
  })

  it('a secondary refuses updates', async () => {
    const msg = buildUpdateMessage('contoso.test', [], [{name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0}])
    expect(parseResponseHeader((await sendUpdate(secondary.server, msg)).response).rcodeName).toBe('REFUSED')
  })

  it('serves a TXT in the strings it holds; an UPDATE prerequisite matches those strings, not their text; the split reaches the secondary', async () => {
    const served = await query(primary.server, 'split.contoso.test', 'TXT', {recursion: false})
    expect(served.answers.map((a) => a.data)).toEqual([SPLIT])
    const txt = (data: string | string[]) => ({name: 'split.contoso.test', type: 'TXT', class: 'IN' as const, ttl: 0, data})
    const merged = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test include:spf.t.test -all']
    const update = [{name: 'split.contoso.test', type: 'TXT', class: 'ANY' as const, ttl: 0}, {...txt(merged), ttl: 300}]
    const joined = await sendUpdate(primary.server, signMessage(buildUpdateMessage('contoso.test', [txt(SPLIT.join(''))], update), key).message)
    expect(parseResponseHeader(joined.response).rcodeName).toBe('NXRRSET')
    const asServed = await sendUpdate(primary.server, signMessage(buildUpdateMessage('contoso.test', [txt(SPLIT)], update), key).message)
    expect(parseResponseHeader(asServed.response).rcodeName).toBe('NOERROR')
    expect((await query(primary.server, 'split.contoso.test', 'TXT', {recursion: false})).answers.map((a) => a.data)).toEqual([merged])
    await clock.advance(45_000)
    expect((await query(secondary.server, 'split.contoso.test', 'TXT', {recursion: false})).answers.map((a) => a.data)).toEqual([merged])
  })
})
