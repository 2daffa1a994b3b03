import dgram from 'node:dgram'
import net from 'node:net'
import * as packet from 'dns-packet'

export interface DnsProxy {
  /** Questions dropped so far, as "name TYPE". */
  dropped: string[]
  close(): Promise<void>
}

export interface DnsProxyOptions {
  /** Where to listen: each address on `port`, UDP and TCP. */
  addresses: string[]
  port: number
  /** The real server questions go to (a lab BIND). */
  upstream: {address: string; port: number}
  /** Questions never answered, as a server does that times out on them. */
  drop: (question: {name: string; type: string}) => boolean
}

function question(msg: Buffer): {name: string; type: string} | null {
  try {
    const q = packet.decode(msg).questions?.[0]
    return q ? {name: q.name.toLowerCase().replace(/\.$/, ''), type: q.type} : null
  } catch {
    return null
  }
}

function askUpstreamUdp(msg: Buffer, upstream: DnsProxyOptions['upstream']): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4')
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error('upstream timeout'))
    }, 3000)
    socket.once('message', (reply) => {
      clearTimeout(timer)
      socket.close()
      resolve(reply)
    })
    socket.send(msg, upstream.port, upstream.address)
  })
}

function askUpstreamTcp(msg: Buffer, upstream: DnsProxyOptions['upstream']): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(upstream.port, upstream.address)
    let data = Buffer.alloc(0)
    socket.setTimeout(3000, () => socket.destroy(new Error('upstream timeout')))
    socket.on('error', reject)
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.end()
        resolve(data.subarray(0, 2 + data.readUInt16BE(0)))
      }
    })
    const framed = Buffer.alloc(2 + msg.length)
    framed.writeUInt16BE(msg.length, 0)
    msg.copy(framed, 2)
    socket.write(framed)
  })
}

/**
 * A DNS forwarder in front of a real server that never answers the
 * questions `drop` picks: an authoritative server that times out on some
 * questions (a broken firewall or load balancer), which BIND cannot be made
 * to do by itself. Everything else is the real server's answer, byte for byte.
 */
export async function startDnsProxy(options: DnsProxyOptions): Promise<DnsProxy> {
  const dropped: string[] = []
  const closers: Array<() => Promise<void>> = []
  const shouldDrop = (msg: Buffer) => {
    const q = question(msg)
    if (q && options.drop(q)) {
      dropped.push(`${q.name} ${q.type}`)
      return true
    }
    return false
  }
  for (const address of options.addresses) {
    const udp = dgram.createSocket('udp4')
    udp.on('message', (msg, rinfo) => {
      if (shouldDrop(msg)) return
      askUpstreamUdp(msg, options.upstream).then((reply) => udp.send(reply, rinfo.port, rinfo.address), () => undefined)
    })
    await new Promise<void>((resolve) => udp.bind(options.port, address, () => resolve()))
    closers.push(() => new Promise<void>((resolve) => udp.close(() => resolve())))
    const sockets = new Set<net.Socket>()
    const tcp = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
      let data = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk])
        while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
          const msg = data.subarray(2, 2 + data.readUInt16BE(0))
          data = data.subarray(2 + msg.length)
          if (shouldDrop(msg)) continue
          askUpstreamTcp(Buffer.from(msg), options.upstream).then((reply) => socket.write(reply), () => socket.destroy())
        }
      })
    })
    await new Promise<void>((resolve) => tcp.listen(options.port, address, () => resolve()))
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy()
          tcp.close(() => resolve())
        }),
    )
  }
  return {dropped, close: async () => void (await Promise.all(closers.map((c) => c())))}
}
