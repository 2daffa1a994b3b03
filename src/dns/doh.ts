import https from 'node:https'
import {isIP} from 'node:net'
import * as packet from 'dns-packet'
import type {DecodedPacket, Packet} from 'dns-packet'
import {assertConnectionAllowed, loopbackOnly, LoopbackOnlyError} from '../lib/loopback-guard.js'
import type {DohServer} from './server.js'
import {DnsTimeout} from './timeout.js'

/**
 * RFC 8484 DNS over HTTPS, POST with application/dns-message. The message ID
 * is sent as 0 (§4.1, friendlier to HTTP caches) and the answer matched on
 * the question instead.
 */
export function dohExchange(
  server: DohServer,
  request: Packet,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DecodedPacket> {
  const url = new URL(server.url)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0 || host === 'localhost') assertConnectionAllowed('HTTPS', host)
  else if (loopbackOnly()) throw new LoopbackOnlyError('HTTPS', url.host)
  const body = packet.encode({...request, id: 0})
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (err: Error | null, value?: DecodedPacket) => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      req.destroy()
      if (err) reject(err)
      else resolve(value as DecodedPacket)
    }
    const req = https.request(
      url,
      {
        method: 'POST',
        headers: {'content-type': 'application/dns-message', accept: 'application/dns-message', 'content-length': body.length},
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (err) => finish(err))
        res.on('end', () => {
          if (res.statusCode !== 200) return finish(new Error(`DoH server answered HTTP ${res.statusCode}`))
          const type = String(res.headers['content-type'] ?? '')
          if (!type.startsWith('application/dns-message')) return finish(new Error(`DoH server sent ${type || 'no content type'}`))
          let response: DecodedPacket
          try {
            response = packet.decode(Buffer.concat(chunks))
          } catch {
            return finish(new Error('DoH server sent a malformed DNS message'))
          }
          const q = request.questions?.[0]
          const r = response.questions?.[0]
          if (!response.flag_qr || !q || !r || r.name.toLowerCase() !== q.name.toLowerCase() || r.type !== q.type) {
            return finish(new Error('DoH answer does not match the question'))
          }
          finish(null, response)
        })
      },
    )
    const onAbort = () => finish(new Error('query aborted'))
    const timer = setTimeout(() => finish(new DnsTimeout()), timeoutMs)
    signal?.addEventListener('abort', onAbort)
    req.on('error', (err) => finish(err))
    req.end(body)
  })
}
