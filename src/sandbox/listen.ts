import dgram from 'node:dgram'
import net from 'node:net'
import type {DnsServer} from '../dns/server.js'
import {lengthPrefixed, messageReader} from '../dns/transport.js'
import {isLoopbackAddress} from '../lib/loopback-guard.js'

/** What a sandbox server does with one message: null drops it, several messages answer over TCP only (zone transfers). */
export type DnsHandler = (message: Buffer, transport: 'udp' | 'tcp') => Promise<Buffer | Buffer[] | null>

export interface Listener {
  server: DnsServer
  close(): Promise<void>
}

/**
 * Listens for DNS on UDP and TCP on the same loopback port, as a real server
 * does (clients fall back to TCP on truncation at the same address). Port 0
 * takes an ephemeral port; the UDP port is chosen first and TCP must get the
 * same one, so a clash is retried with another port.
 */
export async function listenDns(name: string, handler: DnsHandler, options: {address?: string; port?: number} = {}): Promise<Listener> {
  const address = options.address ?? '127.0.0.1'
  // The sandbox exists so nothing leaves the machine.
  if (!isLoopbackAddress(address)) throw new Error(`sandbox servers listen on loopback only, not ${address}`)
  let lastError: unknown
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket('udp4')
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject)
        udp.bind(options.port ?? 0, address, () => {
          udp.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      udp.close()
      throw err
    }
    const port = udp.address().port
    const sockets = new Set<net.Socket>()
    const tcp = net.createServer((socket) => serveTcp(socket, handler, sockets))
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject)
        tcp.listen(port, address, () => {
          tcp.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      lastError = err
      udp.close()
      if (options.port) throw err
      continue
    }
    udp.on('message', (msg, rinfo) => {
      handler(msg, 'udp').then(
        (response) => {
          const first = Array.isArray(response) ? response[0] : response
          if (first) udp.send(first, rinfo.port, rinfo.address)
        },
        () => undefined,
      )
    })
    // A client that went away between query and answer is not the server's problem.
    udp.on('error', () => undefined)
    return {
      server: {kind: 'dns', address, port, name},
      async close() {
        for (const s of sockets) s.destroy()
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ])
      },
    }
  }
  throw lastError instanceof Error ? lastError : new Error('could not listen on a loopback port')
}

function serveTcp(socket: net.Socket, handler: DnsHandler, sockets: Set<net.Socket>): void {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  socket.on('error', () => socket.destroy())
  socket.on(
    'data',
    messageReader((message) => {
      handler(message, 'tcp').then(
        (response) => {
          if (!response || socket.destroyed) return
          for (const reply of Array.isArray(response) ? response : [response]) socket.write(lengthPrefixed(reply))
        },
        () => socket.destroy(),
      )
    }),
  )
}
