import net from 'node:net'
import type tls from 'node:tls'
import {errorMessage} from '../lib/errors.js'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'
import {startTls, type TlsReport} from './smtp-tls.js'

export type {CertificateReport, TlsReport} from './smtp-tls.js'

/**
 * A recipient probe of one address of one MX host (RFC 5321): greeting,
 * EHLO, STARTTLS when offered (RFC 3207; the certificate is described, never
 * refused), EHLO again, MAIL FROM:<>, RCPT TO, QUIT. It never sends DATA, so
 * no message is ever delivered; the null reverse-path is what bounces use,
 * so no sender address of ours is involved.
 */

export type SmtpOutcome =
  /** RCPT answered 250/251: the server takes mail for the domain. */
  | 'accepted'
  /** RCPT answered 5xx: "relay access denied", "recipient rejected"… */
  | 'rejected'
  /** A 4xx reply: greylisting, rate limits, a domain still being provisioned. */
  | 'tempfail'
  /** The server refused this client before the recipient (5xx greeting, EHLO or MAIL): says more about us than the domain. */
  | 'refused-client'
  /** No TCP connection, no greeting, or the conversation broke off. */
  | 'unreachable'

export type SmtpStage = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'mail' | 'rcpt'

export interface SmtpProbeResult {
  address: string
  port: number
  outcome: SmtpOutcome
  /** Where the conversation ended. */
  stage: SmtpStage
  code?: number
  /** The server's reply text (all lines joined). */
  reply?: string
  error?: string
  /** STARTTLS and the certificate; absent when the conversation ended before EHLO was answered. */
  tls?: TlsReport
}

export interface SmtpProbeOptions {
  address: string
  port?: number
  /** The MX host name: sent as TLS SNI, and what the certificate's names must cover. */
  host?: string
  /** RCPT TO address, e.g. postmaster@contoso.com. */
  recipient: string
  /** For the connection, for each reply and for the TLS handshake. */
  timeoutMs: number
  /** Use STARTTLS when offered (default true). */
  starttls?: boolean
  /** Extra trusted CA certificates (PEM), beside Node's and NODE_EXTRA_CA_CERTS. */
  ca?: string
}

interface Reply {
  code: number
  text: string
  /** Each line's text after the code, as EHLO keywords are read. */
  lines: string[]
}

class ProbeEnd extends Error {
  constructor(
    readonly stage: SmtpStage,
    message: string,
  ) {
    super(message)
  }
}

/** The EHLO argument: our own address as an address literal (RFC 5321 §4.1.3), valid without a DNS name. */
function ehloName(socket: net.Socket): string {
  const local = socket.localAddress ?? '127.0.0.1'
  const v4 = local.replace(/^::ffff:/, '')
  return net.isIPv4(v4) ? `[${v4}]` : `[IPv6:${local}]`
}

/**
 * Probes one address. When STARTTLS is offered but the handshake fails, the
 * connection is lost: a second one without STARTTLS (what an opportunistic
 * sender falls back to) learns the recipient's fate, and the TLS failure is
 * kept in `tls`.
 */
export async function probeSmtp(options: SmtpProbeOptions): Promise<SmtpProbeResult> {
  const first = await probeOnce(options)
  if (first.stage !== 'starttls' || first.outcome !== 'unreachable' || !first.tls) return first
  const plain = await probeOnce({...options, starttls: false})
  return {...plain, tls: first.tls}
}

async function probeOnce(options: SmtpProbeOptions): Promise<SmtpProbeResult> {
  const port = options.port ?? 25
  const base = {address: options.address, port}
  assertConnectionAllowed('SMTP', options.address)
  const c = openConversation(new net.Socket(), options.timeoutMs)
  try {
    await connect(c, options.address, port)
    return await converse(c, base, options)
  } catch (err) {
    if (!(err instanceof ProbeEnd)) throw err
    if (err.stage === 'starttls' && c.tls && !c.tls.error) c.tls.error = `STARTTLS: ${err.message}`
    return {...base, outcome: 'unreachable', stage: err.stage, error: err.message, ...(c.tls ? {tls: c.tls} : {})}
  } finally {
    hangUp(c)
  }
}

/** Where a probe went, as every result names it. */
type Endpoint = Pick<SmtpProbeResult, 'address' | 'port'>

/** One SMTP connection: replies as they complete, whoever waits for the next one, and the error that ended it. */
interface Conversation {
  /** The TCP socket, then the TLS socket over it after STARTTLS. */
  socket: net.Socket | tls.TLSSocket
  /** The EHLO argument, fixed before any upgrade. */
  helloName: string
  tls: TlsReport | null
  /** The listeners on `socket`, to move them to the TLS socket. */
  readonly handlers: {data: (chunk: string) => void; error: (err: Error) => void; close: () => void}
  /** For the connection and for each reply. */
  readonly timeoutMs: number
  /** Received text not yet ending in a newline. */
  buffer: string
  /** The lines so far of a multi-line reply. */
  lines: string[]
  /** Replies that arrived before they were asked for. */
  readonly ready: Reply[]
  waiting: {resolve: (r: Reply) => void; reject: (e: Error) => void; stage: SmtpStage} | null
  closedError: Error | null
}

function openConversation(socket: net.Socket, timeoutMs: number): Conversation {
  const c: Conversation = {
    socket,
    helloName: '',
    tls: null,
    handlers: {data: (chunk) => receive(c, chunk), error: (err) => fail(c, err), close: () => fail(c, new Error('the server closed the connection'))},
    timeoutMs,
    buffer: '',
    lines: [],
    ready: [],
    waiting: null,
    closedError: null,
  }
  listen(c, socket)
  return c
}

function listen(c: Conversation, socket: net.Socket | tls.TLSSocket): void {
  socket.setEncoding('latin1')
  socket.on('data', c.handlers.data)
  socket.on('error', c.handlers.error)
  socket.on('close', c.handlers.close)
}

function unlisten(c: Conversation): void {
  c.socket.removeListener('data', c.handlers.data)
  c.socket.removeListener('error', c.handlers.error)
  c.socket.removeListener('close', c.handlers.close)
}

function fail(c: Conversation, err: Error): void {
  c.closedError = c.closedError ?? err
  if (c.waiting) {
    const w = c.waiting
    c.waiting = null
    w.reject(new ProbeEnd(w.stage, err.message))
  }
}

/** Splits what arrived into lines and lines into replies; anything that is not SMTP ends the conversation. */
function receive(c: Conversation, chunk: string): void {
  c.buffer += chunk
  if (c.buffer.length > 64 * 1024) {
    fail(c, new Error('reply longer than 64 KiB'))
    c.socket.destroy()
    return
  }
  let nl: number
  while ((nl = c.buffer.indexOf('\n')) >= 0) {
    const line = c.buffer.slice(0, nl).replace(/\r$/, '')
    c.buffer = c.buffer.slice(nl + 1)
    c.lines.push(line)
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(line)
    if (!m) {
      fail(c, new Error(`not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`))
      c.socket.destroy()
      return
    }
    if (m[2] === '-') continue
    const lines = c.lines.map((l) => l.slice(4))
    const reply = {code: Number(m[1]), text: lines.join(' ').trim(), lines}
    c.lines = []
    if (c.waiting) {
      const w = c.waiting
      c.waiting = null
      w.resolve(reply)
    } else c.ready.push(reply)
  }
}

function nextReply(c: Conversation, stage: SmtpStage): Promise<Reply> {
  const queued = c.ready.shift()
  if (queued) return Promise.resolve(queued)
  if (c.closedError) return Promise.reject(new ProbeEnd(stage, c.closedError.message))
  return new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(() => {
      c.waiting = null
      reject(new ProbeEnd(stage, stage === 'greeting' ? `connected, but no greeting within ${c.timeoutMs} ms` : `no reply within ${c.timeoutMs} ms`))
    }, c.timeoutMs)
    c.waiting = {
      stage,
      resolve: (r) => {
        clearTimeout(timer)
        resolve(r)
      },
      reject: (e) => {
        clearTimeout(timer)
        reject(e)
      },
    }
  })
}

function command(c: Conversation, stage: SmtpStage, line: string): Promise<Reply> {
  c.socket.write(line + '\r\n')
  return nextReply(c, stage)
}

function connect(c: Conversation, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ProbeEnd('connect', `no TCP connection within ${c.timeoutMs} ms`)), c.timeoutMs)
    c.socket.once('connect', () => {
      clearTimeout(timer)
      c.helloName = ehloName(c.socket)
      resolve()
    })
    c.socket.once('error', (err) => {
      clearTimeout(timer)
      reject(new ProbeEnd('connect', errorMessage(err)))
    })
    // Each command is one write: sent at once, not held back for the last reply's ACK (Nagle).
    c.socket.setNoDelay(true)
    c.socket.connect({host, port})
  })
}

/** Greeting, EHLO (or HELO), STARTTLS and EHLO again, MAIL, RCPT: the first answer that settles the outcome ends it. */
async function converse(c: Conversation, base: Endpoint, options: SmtpProbeOptions): Promise<SmtpProbeResult> {
  const greeting = await nextReply(c, 'greeting')
  const badGreeting = classify(base, 'greeting', greeting)
  if (badGreeting) return badGreeting
  let hello = await command(c, 'ehlo', `EHLO ${c.helloName}`)
  let esmtp = true
  // Servers without ESMTP answer 500/502 to EHLO: fall back to HELO (RFC 5321 §4.1.4).
  if (hello.code === 500 || hello.code === 502) {
    esmtp = false
    hello = await command(c, 'ehlo', `HELO ${c.helloName}`)
  }
  const badHello = classify(base, 'ehlo', hello)
  if (badHello) return badHello
  const offered = esmtp && hello.lines.some((l) => /^STARTTLS(\s|$)/i.test(l.trim()))
  c.tls = {offered, established: false}
  if (offered && options.starttls !== false) {
    const again = await negotiateTls(c, options)
    if (again) {
      const badAgain = classify(base, 'ehlo', again)
      if (badAgain) return withTls(c, badAgain)
    }
  }
  const mail = await command(c, 'mail', 'MAIL FROM:<>')
  const badMail = classify(base, 'mail', mail)
  if (badMail) return withTls(c, badMail)
  const rcpt = await command(c, 'rcpt', `RCPT TO:<${options.recipient}>`)
  const badRcpt = classify(base, 'rcpt', rcpt)
  if (badRcpt) return withTls(c, badRcpt)
  if (rcpt.code !== 250 && rcpt.code !== 251) return withTls(c, {...end(base, 'tempfail', 'rcpt', rcpt), error: `unexpected reply ${rcpt.code} to RCPT`})
  return withTls(c, end(base, 'accepted', 'rcpt', rcpt))
}

function withTls(c: Conversation, r: SmtpProbeResult): SmtpProbeResult {
  return c.tls ? {...r, tls: c.tls} : r
}

/**
 * STARTTLS, the handshake, and EHLO inside TLS (RFC 3207 §4.2: the client
 * starts over). Returns that EHLO reply, or null when the server refused
 * STARTTLS and the conversation goes on in the clear. A failed handshake
 * ends the connection (ProbeEnd at 'starttls').
 */
async function negotiateTls(c: Conversation, options: SmtpProbeOptions): Promise<Reply | null> {
  const tlsReport = c.tls as TlsReport
  const reply = await command(c, 'starttls', 'STARTTLS')
  if (reply.code !== 220) {
    tlsReport.error = `STARTTLS was answered ${reply.code} ${reply.text}`.trim()
    return null
  }
  if (c.closedError || c.socket.destroyed) {
    // Bytes after the 220 that are not TLS end the connection before any handshake.
    const error = `TLS handshake failed: ${c.closedError?.message ?? 'the server closed the connection'} after 220 to STARTTLS`
    tlsReport.error = error
    throw new ProbeEnd('starttls', error)
  }
  // Anything sent before the handshake is discarded (RFC 3207 §5: no command injection).
  unlisten(c)
  // The TLS socket reports errors from now on; one left on the TCP socket must not go unhandled.
  c.socket.on('error', () => undefined)
  c.buffer = ''
  c.lines = []
  c.ready.length = 0
  const upgraded = await startTls(c.socket as net.Socket, options.host ?? null, {timeoutMs: c.timeoutMs, ca: options.ca})
  if (!upgraded.ok) {
    tlsReport.error = upgraded.error
    c.closedError = new Error(upgraded.error)
    throw new ProbeEnd('starttls', upgraded.error)
  }
  c.socket = upgraded.socket
  listen(c, upgraded.socket)
  tlsReport.established = true
  tlsReport.protocol = upgraded.socket.getProtocol() ?? undefined
  tlsReport.certificate = upgraded.certificate
  return command(c, 'ehlo', `EHLO ${c.helloName}`)
}

function end(base: Endpoint, outcome: SmtpOutcome, stage: SmtpStage, reply: Reply): SmtpProbeResult {
  return {...base, outcome, stage, code: reply.code, reply: reply.text}
}

function classify(base: Endpoint, stage: SmtpStage, reply: Reply): SmtpProbeResult | null {
  if (reply.code >= 400 && reply.code < 500) return end(base, 'tempfail', stage, reply)
  if (reply.code >= 500) return end(base, stage === 'rcpt' ? 'rejected' : 'refused-client', stage, reply)
  return null
}

function hangUp(c: Conversation): void {
  if (!c.closedError && c.socket.writable) {
    // A polite QUIT; its answer does not matter, and a hung server must not hold us.
    c.socket.end('QUIT\r\n')
    setTimeout(() => c.socket.destroy(), 200).unref()
  } else c.socket.destroy()
}

export function describeProbe(r: SmtpProbeResult): string {
  const reply = r.code !== undefined ? `${r.code} ${r.reply ?? ''}`.trim() : (r.error ?? '')
  switch (r.outcome) {
    case 'accepted':
      return `accepted the recipient (${reply})`
    case 'rejected':
      return `refused the recipient: ${reply}`
    case 'tempfail':
      return `answered temporarily at ${r.stage}: ${reply}`
    case 'refused-client':
      return `refused this client at ${r.stage}: ${reply}`
    case 'unreachable':
      return `could not be reached at ${r.stage}: ${reply}`
  }
}
