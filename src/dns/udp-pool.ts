import {randomFillSync} from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'
import type {DnsServer} from './server.js'
import {DnsTimeout} from './timeout.js'

/**
 * UDP queries over a small pool of sockets per server, instead of a fresh
 * socket per query (whose creation and teardown dominated the client's cost
 * at 64 queries in flight). RFC 5452 is kept:
 * - every socket is connect()ed to the one server, on a port the kernel picks
 *   at random, so datagrams from anyone else never reach it;
 * - each query gets a random ID not in use on its socket, and an answer is
 *   taken only when its ID and question match (the caller's `accept`);
 * - a socket carries at most MAX_USES queries, then closes once drained, so
 *   source ports keep changing; an idle socket closes after IDLE_MS.
 */

const SOCKETS_PER_SERVER = 4
const QUERIES_PER_SOCKET = 16
const MAX_USES = 100
const IDLE_MS = 1000

interface Waiter {
  accept: (msg: Buffer) => boolean
  finish: (err: Error | null, msg?: Buffer) => void
}

interface PooledSocket {
  key: string
  socket: dgram.Socket
  ready: Promise<void>
  waiters: Map<number, Waiter>
  uses: number
  closed: boolean
  /** connect() finished: send at once, without waiting on `ready`. */
  connected: boolean
  idle: NodeJS.Timeout | null
}

const pools = new Map<string, PooledSocket[]>()

function close(ps: PooledSocket, err?: Error): void {
  if (ps.closed) return
  ps.closed = true
  if (ps.idle) clearTimeout(ps.idle)
  const list = pools.get(ps.key)?.filter((x) => x !== ps) ?? []
  if (list.length > 0) pools.set(ps.key, list)
  else pools.delete(ps.key)
  for (const w of [...ps.waiters.values()]) w.finish(err ?? new Error('socket closed'))
  ps.waiters.clear()
  try {
    ps.socket.close()
  } catch {
    // already closed by an error
  }
}

function open(server: DnsServer, key: string): PooledSocket {
  const socket = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4')
  // Idle pooled sockets never keep the process alive; a query's own timer does while it waits.
  socket.unref()
  const ps: PooledSocket = {key, socket, ready: Promise.resolve(), waiters: new Map(), uses: 0, closed: false, connected: false, idle: null}
  // An ICMP port unreachable arrives as an error on a connected socket: every query on it fails at once, as a refused connection should.
  socket.on('error', (err) => close(ps, err))
  socket.on('message', (msg) => {
    if (msg.length < 12) return
    const waiter = ps.waiters.get(msg.readUInt16BE(0))
    if (!waiter) return
    try {
      if (waiter.accept(msg)) waiter.finish(null, msg)
    } catch (err) {
      waiter.finish(err instanceof Error ? err : new Error(String(err)))
    }
  })
  ps.ready = new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.connect(server.port, server.address, () => {
      socket.removeListener('error', reject)
      ps.connected = true
      resolve()
    })
  })
  ps.ready.catch(() => undefined)
  const list = pools.get(key) ?? []
  list.push(ps)
  pools.set(key, list)
  return ps
}

/** The least busy socket to this server that takes new queries, or a new one while there are fewer than SOCKETS_PER_SERVER. */
function pick(server: DnsServer): PooledSocket {
  const key = `${server.address}|${server.port}`
  const usable = (pools.get(key) ?? []).filter((ps) => !ps.closed && ps.uses < MAX_USES)
  const best = usable.sort((a, b) => a.waiters.size - b.waiters.size)[0]
  const all = pools.get(key)?.length ?? 0
  if (best && (best.waiters.size < QUERIES_PER_SOCKET || all >= SOCKETS_PER_SERVER)) return best
  return open(server, key)
}

function release(ps: PooledSocket): void {
  if (ps.closed || ps.waiters.size > 0) return
  if (ps.uses >= MAX_USES) return close(ps)
  if (ps.idle) clearTimeout(ps.idle)
  ps.idle = setTimeout(() => {
    if (ps.waiters.size === 0) close(ps)
  }, IDLE_MS)
  ps.idle.unref()
}

/** Query IDs from the CSPRNG, drawn a batch at a time (one call per 4096 IDs rather than per query). */
const idBatch = new Uint16Array(4096)
let idNext = idBatch.length

function randomId(): number {
  if (idNext === idBatch.length) {
    randomFillSync(idBatch)
    idNext = 0
  }
  return idBatch[idNext++]
}

function freshId(ps: PooledSocket): number {
  for (;;) {
    const id = randomId()
    if (!ps.waiters.has(id)) return id
  }
}

export interface PooledExchangeOptions {
  timeoutMs: number
  signal?: AbortSignal
  /** Whether a datagram carrying our ID is the answer (question, QR); may throw to end the exchange. */
  accept: (msg: Buffer) => boolean
}

/** One query over a pooled socket: `build` gets the ID chosen for it and returns the message to send. */
export function pooledUdpExchange(server: DnsServer, build: (id: number) => Buffer, options: PooledExchangeOptions): Promise<Buffer> {
  assertConnectionAllowed('DNS', server.address)
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new Error('query aborted'))
    const ps = pick(server)
    if (ps.idle) {
      clearTimeout(ps.idle)
      ps.idle = null
    }
    const id = freshId(ps)
    ps.uses++
    let settled = false
    const finish = (err: Error | null, msg?: Buffer) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if (ps.waiters.get(id)?.finish === finish) ps.waiters.delete(id)
      release(ps)
      if (err) reject(err)
      else resolve(msg as Buffer)
    }
    const onAbort = () => finish(new Error('query aborted'))
    const timer = setTimeout(() => finish(new DnsTimeout()), options.timeoutMs)
    options.signal?.addEventListener('abort', onAbort)
    ps.waiters.set(id, {accept: options.accept, finish})
    let message: Buffer
    try {
      message = build(id)
    } catch (err) {
      return finish(err instanceof Error ? err : new Error(String(err)))
    }
    // No send callback: a send error arrives as the socket's 'error' event, which fails every query on it.
    if (ps.connected) return ps.socket.send(message)
    ps.ready.then(
      () => ps.socket.send(message),
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    )
  })
}
