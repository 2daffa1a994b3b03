import dgram from 'node:dgram'
import net from 'node:net'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'
import type {DnsServer} from './server.js'
import {serverLabel} from './server.js'
import {DnsTimeout} from './timeout.js'

/**
 * Raw DNS message exchanges, shared by the query client, DNS UPDATE and the
 * sandbox: one request out, replies in until `accept` takes one. What counts
 * as the answer (ID, question, opcode, TSIG) is the caller's business; a
 * reply `accept` refuses is ignored as a spoofed or stray datagram. `accept`
 * may throw to end the exchange with that error.
 */
export interface ExchangeOptions {
  timeoutMs: number
  signal?: AbortSignal
}

/** Runs `start` with a settle-once `finish`, a timeout and abort handling, and cleans up after. */
function exchange<T>(options: ExchangeOptions, start: (finish: (err: Error | null, value?: T) => void) => () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false
    let cleanup: () => void = () => {}
    const finish = (err: Error | null, value?: T) => {
      if (done) return
      done = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      cleanup()
      if (err) reject(err)
      else resolve(value as T)
    }
    const onAbort = () => finish(new Error('query aborted'))
    const timer = setTimeout(() => finish(new DnsTimeout()), options.timeoutMs)
    options.signal?.addEventListener('abort', onAbort)
    cleanup = start(finish)
  })
}

function guarded(accept: (msg: Buffer) => boolean, msg: Buffer, finish: (err: Error | null, value?: Buffer) => void): void {
  try {
    if (accept(msg)) finish(null, msg)
  } catch (err) {
    finish(err instanceof Error ? err : new Error(String(err)))
  }
}

/**
 * One request over UDP from a fresh socket (a fresh random source port, RFC
 * 5452), connected to the server so the kernel drops datagrams from anyone else.
 */
export function udpExchange(server: DnsServer, message: Buffer, options: ExchangeOptions & {accept: (msg: Buffer) => boolean}): Promise<Buffer> {
  assertConnectionAllowed('DNS', server.address)
  return exchange<Buffer>(options, (finish) => {
    const socket = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4')
    socket.on('error', (err) => finish(err))
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port === server.port) guarded(options.accept, msg, finish)
    })
    socket.connect(server.port, server.address, () => socket.send(message, (err) => err && finish(err)))
    return () => socket.close()
  })
}

/** The two-octet length prefix of DNS over TCP (RFC 1035 §4.2.2). */
export function lengthPrefixed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2)
  prefix.writeUInt16BE(message.length)
  return Buffer.concat([prefix, message])
}

/** Splits a TCP byte stream into DNS messages; returns the function to feed chunks to. */
export function messageReader(onMessage: (msg: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0)
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 2) {
      const len = buffered.readUInt16BE(0)
      if (buffered.length < 2 + len) return
      const msg = Buffer.from(buffered.subarray(2, 2 + len))
      buffered = buffered.subarray(2 + len)
      onMessage(msg)
    }
  }
}

/**
 * One request over TCP; every reply message goes to `accept` until it returns
 * true (one answer, or the last message of a zone transfer).
 */
export function tcpExchange(server: DnsServer, message: Buffer, options: ExchangeOptions & {accept: (msg: Buffer) => boolean}): Promise<Buffer> {
  assertConnectionAllowed('DNS', server.address)
  return exchange<Buffer>(options, (finish) => {
    const socket = net.connect({host: server.address, port: server.port})
    socket.on('error', (err) => finish(err))
    socket.on('connect', () => socket.write(lengthPrefixed(message)))
    socket.on('data', messageReader((msg) => guarded(options.accept, msg, finish)))
    socket.on('end', () => finish(new Error(`${serverLabel(server)} closed the TCP connection without an answer`)))
    return () => socket.destroy()
  })
}
