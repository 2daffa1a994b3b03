/**
 * The wire client against fake servers we control byte by byte: spoofed
 * answers, silent servers, IPv6, truncation. The real-server behaviour is in
 * test/lab/dns-client.test.ts.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import * as packet from 'dns-packet'
import type {DecodedPacket} from 'dns-packet'
import {afterEach, describe, expect, test} from 'vitest'
import {createDnsClient, matchesQuery, query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'

const closers: Array<() => void> = []
afterEach(() => {
  while (closers.length) closers.pop()!()
})

type Handler = (req: DecodedPacket, reply: (p: packet.Packet) => void) => void

async function fakeUdp(handler: Handler, family: 'udp4' | 'udp6' = 'udp4'): Promise<DnsServer> {
  const socket = dgram.createSocket(family)
  socket.on('message', (msg, rinfo) => {
    const req = packet.decode(msg)
    handler(req, (p) => socket.send(packet.encode(p), rinfo.port, rinfo.address))
  })
  const address = family === 'udp4' ? '127.0.0.1' : '::1'
  await new Promise<void>((r) => socket.bind(0, address, () => r()))
  closers.push(() => socket.close())
  return {kind: 'dns', address, port: socket.address().port, name: 'fake'}
}

function answer(req: DecodedPacket, extra: Partial<packet.Packet> = {}): packet.Packet {
  return {
    type: 'response',
    id: req.id,
    flags: packet.AUTHORITATIVE_ANSWER,
    questions: req.questions,
    answers: [{type: 'MX', name: req.questions![0].name, ttl: 3600, data: {preference: 10, exchange: 'mx.contoso.test'}}],
    ...extra,
  }
}

describe('answer matching (RFC 5452)', () => {
  test('ignores answers with the wrong ID or question and keeps waiting for the real one', async () => {
    const server = await fakeUdp((req, reply) => {
      reply(answer(req, {id: ((req.id ?? 0) + 1) % 65536, answers: [{type: 'MX', name: req.questions![0].name, ttl: 1, data: {preference: 0, exchange: 'evil.test'}}]}))
      reply(answer(req, {questions: [{type: 'MX', name: 'other.test'}]}))
      setTimeout(() => reply(answer(req)), 20)
    })
    const r = await query(server, 'contoso.test', 'MX', {timeoutMs: 2000})
    expect(r.status).toBe('ok')
    expect(r.answers).toEqual([{name: 'contoso.test', type: 'MX', ttl: 3600, data: {priority: 10, exchange: 'mx.contoso.test'}}])
    expect(r.aa).toBe(true)
  })

  test('matchesQuery checks ID, QR and question', () => {
    const req = {type: 'query' as const, id: 7, questions: [{type: 'MX' as const, name: 'a.test'}]}
    const res = packet.decode(packet.encode(answer(req as DecodedPacket)))
    expect(matchesQuery(req, res)).toBe(true)
    expect(matchesQuery({...req, id: 8}, res)).toBe(false)
    expect(matchesQuery({...req, questions: [{type: 'A', name: 'a.test'}]}, res)).toBe(false)
    const upper = packet.decode(packet.encode({...answer(req as DecodedPacket), questions: [{type: 'MX', name: 'A.TEST'}]}))
    expect(matchesQuery(req, upper)).toBe(true)
  })

  test('uses a random ID per query', async () => {
    const ids = new Set<number>()
    const server = await fakeUdp((req, reply) => {
      ids.add(req.id!)
      reply(answer(req))
    })
    for (let i = 0; i < 20; i++) await query(server, 'contoso.test', 'MX')
    expect(ids.size).toBeGreaterThan(15)
  })
})

describe('rcodes become typed results', () => {
  test.each([
    ['NXDOMAIN', 3, 'nxdomain'],
    ['SERVFAIL', 2, 'servfail'],
    ['REFUSED', 5, 'refused'],
    ['NOTIMP', 4, 'error'],
  ])('%s', async (_name, rcode, status) => {
    const server = await fakeUdp((req, reply) => reply({...answer(req), answers: [], flags: rcode}))
    const r = await query(server, 'contoso.test', 'MX')
    expect(r.status).toBe(status)
  })
  test('NOERROR without answers is NODATA', async () => {
    const server = await fakeUdp((req, reply) => reply({...answer(req), answers: []}))
    expect((await query(server, 'contoso.test', 'MX')).status).toBe('nodata')
  })
})

test('a silent server times out after the bounded retries, counting every attempt', async () => {
  let attempts = 0
  const server = await fakeUdp(() => {
    attempts++
  })
  const r = await query(server, 'contoso.test', 'MX', {timeoutMs: 100, retries: 2})
  expect(r.status).toBe('timeout')
  expect(attempts).toBe(3)
  expect(r.error).toMatch(/no answer within 100 ms/)
})

test('a refused port is an error, not a hang', async () => {
  const r = await query({kind: 'dns', address: '127.0.0.1', port: 9, name: 'discard'}, 'contoso.test', 'MX', {timeoutMs: 1000})
  expect(['error', 'timeout']).toContain(r.status)
})

test('IPv6 servers', async () => {
  const server = await fakeUdp((req, reply) => reply(answer(req)), 'udp6')
  const r = await query(server, 'contoso.test', 'MX')
  expect(r.status).toBe('ok')
})

test('truncated UDP answers are retried over TCP; tcp:"only" never uses UDP', async () => {
  let udp = 0
  let tcp = 0
  const udpServer = await fakeUdp((req, reply) => {
    udp++
    reply({...answer(req), answers: [], flags: packet.TRUNCATED_RESPONSE})
  })
  const tcpServer = net.createServer((sock) => {
    sock.on('data', (buf) => {
      tcp++
      const req = packet.decode(buf.subarray(2))
      sock.write(packet.streamEncode(answer(req)))
    })
  })
  await new Promise<void>((r) => tcpServer.listen(udpServer.port, '127.0.0.1', () => r()))
  closers.push(() => tcpServer.close())
  const r = await query(udpServer, 'contoso.test', 'MX')
  expect(r).toMatchObject({status: 'ok', transport: 'tcp'})
  expect([udp, tcp]).toEqual([1, 1])
  const only = await query(udpServer, 'contoso.test', 'MX', {tcp: 'only'})
  expect(only).toMatchObject({status: 'ok', transport: 'tcp'})
  expect([udp, tcp]).toEqual([1, 2])
})

test('bounded concurrency: never more queries in flight than asked', async () => {
  let inFlight = 0
  let peak = 0
  const server = await fakeUdp((req, reply) => {
    inFlight++
    peak = Math.max(peak, inFlight)
    setTimeout(() => {
      inFlight--
      reply(answer(req))
    }, 10)
  })
  const client = createDnsClient({concurrency: 4})
  const results = await Promise.all(Array.from({length: 40}, (_, i) => client.query(server, `q${i}.contoso.test`, 'MX')))
  expect(results.every((r) => r.status === 'ok')).toBe(true)
  expect(peak).toBeLessThanOrEqual(4)
  expect(peak).toBeGreaterThan(1)
})
