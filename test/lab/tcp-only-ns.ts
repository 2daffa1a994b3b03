/**
 * A name server reachable only over TCP, as a firewall or a broken server
 * makes one: a small loopback proxy in front of a lab server that forwards
 * DNS over TCP to it, and over UDP either drops every query, answers from
 * the wrong source port, or answers from the wrong source address (a client
 * that checks where answers come from, as RFC 5452 asks, never sees those).
 * 'dead' answers neither way (no TCP listener), for NS_UNREACHABLE.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import type {DnsServer} from '../../src/dns/server.js'

export type TcpOnlyMode = 'drop' | 'wrong-port' | 'wrong-address' | 'dead'

export interface TcpOnlyNs {
  server: DnsServer
  /** What reached it: UDP queries (never answered from the right place) and TCP connections forwarded. */
  counts: {udp: number; tcp: number}
  stop(): Promise<void>
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    s.once('error', reject)
    s.bind(port, address, () => resolve(s))
  })
}

/** Asks the upstream over UDP from a fresh socket and returns its answer. */
function askUpstream(upstream: DnsServer, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    const timer = setTimeout(() => {
      s.close()
      reject(new Error('upstream timeout'))
    }, 2000)
    s.on('message', (answer) => {
      clearTimeout(timer)
      s.close()
      resolve(answer)
    })
    s.send(msg, upstream.port, upstream.address)
  })
}

/**
 * Starts the stand-in on `address`:53 (any 127.0.0.0/8 address is local on
 * Linux, so no alias is needed for it); `wrongAddress` is where the
 * 'wrong-address' mode answers from.
 */
export async function startTcpOnlyNs(upstream: DnsServer, address: string, mode: TcpOnlyMode, wrongAddress = '127.0.0.1'): Promise<TcpOnlyNs> {
  const counts = {udp: 0, tcp: 0}
  const closers: Array<() => Promise<void>> = []

  const udp = await bindUdp(address, 53)
  closers.push(() => new Promise((r) => udp.close(() => r())))
  let replyFrom: dgram.Socket | null = null
  if (mode === 'wrong-port') replyFrom = await bindUdp(address, 0)
  if (mode === 'wrong-address') replyFrom = await bindUdp(wrongAddress, 0)
  if (replyFrom) {
    const s = replyFrom
    closers.push(() => new Promise((r) => s.close(() => r())))
  }
  udp.on('message', (msg, rinfo) => {
    counts.udp += 1
    if (!replyFrom) return
    const from = replyFrom
    askUpstream(upstream, msg).then(
      (answer) => from.send(answer, rinfo.port, rinfo.address),
      () => undefined,
    )
  })

  if (mode !== 'dead') {
    const sockets = new Set<net.Socket>()
    const tcp = net.createServer((client) => {
      counts.tcp += 1
      const server = net.connect({host: upstream.address, port: upstream.port})
      for (const s of [client, server]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => {
          client.destroy()
          server.destroy()
        })
      }
      client.pipe(server)
      server.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(53, address, () => resolve())
    })
    closers.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy()
          tcp.close(() => r())
        }),
    )
  }

  return {
    server: {kind: 'dns', address, port: 53, name: `tcp-only-${mode}`},
    counts,
    async stop() {
      await Promise.all(closers.map((c) => c()))
    },
  }
}
