/**
 * The pooled UDP sockets against fake servers: few sockets for many queries
 * in flight, IDs unique per socket, answers from elsewhere never taken,
 * source ports that keep changing (RFC 5452).
 */
import dgram from 'node:dgram'
import * as packet from 'dns-packet'
import type {DecodedPacket} from 'dns-packet'
import {afterEach, expect, test} from 'vitest'
import {createDnsClient, query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'

const closers: Array<() => void> = []
afterEach(() => {
  while (closers.length) closers.pop()!()
})

interface Seen {
  port: number
  id: number
}

/** A server that answers every query after `delayMs`, recording the source port and ID of each. */
async function fakeServer(delayMs: number, reply?: (req: DecodedPacket, send: (p: packet.Packet) => void) => void): Promise<{server: DnsServer; seen: Seen[]; inFlight: () => Map<number, Set<number>>}> {
  const socket = dgram.createSocket('udp4')
  const seen: Seen[] = []
  const open = new Map<number, Set<number>>()
  let clash = false
  socket.on('message', (msg, rinfo) => {
    const req = packet.decode(msg)
    seen.push({port: rinfo.port, id: req.id ?? -1})
    const ids = open.get(rinfo.port) ?? new Set<number>()
    if (ids.has(req.id ?? -1)) clash = true
    ids.add(req.id ?? -1)
    open.set(rinfo.port, ids)
    const send = (p: packet.Packet) => socket.send(packet.encode(p), rinfo.port, rinfo.address)
    setTimeout(() => {
      ids.delete(req.id ?? -1)
      if (reply) reply(req, send)
      else send({type: 'response', id: req.id, flags: 0, questions: req.questions, answers: [{type: 'A', name: req.questions![0].name, ttl: 60, data: '127.0.0.1'}]})
    }, delayMs)
  })
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()))
  closers.push(() => socket.close())
  return {server: {kind: 'dns', address: '127.0.0.1', port: socket.address().port, name: 'fake'}, seen, inFlight: () => (clash ? new Map([[0, new Set([-1])]]) : open)}
}

test('64 queries in flight share a few sockets, each ID unique on its socket', async () => {
  const f = await fakeServer(30)
  const client = createDnsClient({concurrency: 64})
  const results = await Promise.all(Array.from({length: 64}, (_, i) => client.query(f.server, `q${i}.pool.test`, 'A')))
  expect(results.every((r) => r.status === 'ok')).toBe(true)
  const ports = new Set(f.seen.map((s) => s.port))
  expect(ports.size).toBeGreaterThanOrEqual(1)
  expect(ports.size).toBeLessThanOrEqual(4)
  // No two queries in flight on one socket ever carried the same ID.
  expect(f.inFlight().get(0)).toBeUndefined()
})

test('source ports keep changing: a socket retires after a bounded number of queries', async () => {
  const f = await fakeServer(0)
  for (let i = 0; i < 250; i++) await query(f.server, `s${i}.pool.test`, 'A')
  expect(new Set(f.seen.map((s) => s.port)).size).toBeGreaterThanOrEqual(3)
  expect(new Set(f.seen.map((s) => s.id)).size).toBeGreaterThan(200)
})

test('an answer sent from another address or port never reaches the query (connected sockets)', async () => {
  const spoofer = dgram.createSocket('udp4')
  await new Promise<void>((r) => spoofer.bind(0, '127.0.0.1', () => r()))
  closers.push(() => spoofer.close())
  const f = await fakeServer(0, (req, send) => {
    const last = f.seen.at(-1) as Seen
    // The spoofer knows the port and the ID and answers first, with the wrong data.
    spoofer.send(packet.encode({type: 'response', id: req.id, flags: 0, questions: req.questions, answers: [{type: 'A', name: req.questions![0].name, ttl: 60, data: '192.0.2.66'}]}), last.port, '127.0.0.1')
    setTimeout(() => send({type: 'response', id: req.id, flags: 0, questions: req.questions, answers: [{type: 'A', name: req.questions![0].name, ttl: 60, data: '127.0.0.9'}]}), 30)
  })
  const r = await query(f.server, 'spoof.pool.test', 'A', {timeoutMs: 1000})
  expect(r.answers.map((a) => a.data)).toEqual(['127.0.0.9'])
})

test('a closed port fails at once (ICMP on the connected socket), not after the timeout', async () => {
  const r = await query({kind: 'dns', address: '127.0.0.1', port: 9, name: 'discard'}, 'refused.pool.test', 'A', {timeoutMs: 5000, retries: 0})
  expect(r.status).toBe('error')
  // An error, not a timeout: the refusal ended the query.
  expect(r.error).toMatch(/ECONNREFUSED/)
})
