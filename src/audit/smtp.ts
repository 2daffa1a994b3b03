import net from 'node:net'
import {errorMessage} from '../lib/errors.js'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'

/**
 * A recipient probe (RFC 5321): greeting, EHLO, MAIL FROM:<>, RCPT TO, QUIT.
 * It never sends DATA, so no message is ever delivered; the null reverse-path
 * is what bounces use, so no sender address of ours is involved.
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

export type SmtpStage = 'connect' | 'greeting' | 'ehlo' | 'mail' | 'rcpt'

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
}

export interface SmtpProbeOptions {
  address: string
  port?: number
  /** RCPT TO address, e.g. postmaster@contoso.com. */
  recipient: string
  /** For the connection and for each reply. */
  timeoutMs: number
}

interface Reply {
  code: number
  text: string
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

export async function probeSmtp(options: SmtpProbeOptions): Promise<SmtpProbeResult> {
  const port = options.port ?? 25
  const base = {address: options.address, port}
  assertConnectionAllowed('SMTP', options.address)
  const c = openConversation(new net.Socket(), options.timeoutMs)
  try {
    await connect(c, options.address, port)
    return await converse(c, base, options.recipient)
  } catch (err) {
    if (err instanceof ProbeEnd) return {...base, outcome: 'unreachable', stage: err.stage, error: err.message}
    throw err
  } finally {
    hangUp(c)
  }
}

/** Where a probe went, as every result names it. */
type Endpoint = Pick<SmtpProbeResult, 'address' | 'port'>

/** One SMTP connection: replies as they complete, whoever waits for the next one, and the error that ended it. */
interface Conversation {
  readonly socket: net.Socket
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
  const c: Conversation = {socket, timeoutMs, buffer: '', lines: [], ready: [], waiting: null, closedError: null}
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => receive(c, chunk))
  socket.on('error', (err) => fail(c, err))
  socket.on('close', () => fail(c, new Error('the server closed the connection')))
  return c
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
    const reply = {code: Number(m[1]), text: c.lines.map((l) => l.slice(4)).join(' ').trim()}
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
      resolve()
    })
    c.socket.once('error', (err) => {
      clearTimeout(timer)
      reject(new ProbeEnd('connect', errorMessage(err)))
    })
    c.socket.connect({host, port})
  })
}

/** Greeting, EHLO (or HELO), MAIL, RCPT: the first answer that settles the outcome ends it. */
async function converse(c: Conversation, base: Endpoint, recipient: string): Promise<SmtpProbeResult> {
  const greeting = await nextReply(c, 'greeting')
  const badGreeting = classify(base, 'greeting', greeting)
  if (badGreeting) return badGreeting
  let hello = await command(c, 'ehlo', `EHLO ${ehloName(c.socket)}`)
  // Servers without ESMTP answer 500/502 to EHLO: fall back to HELO (RFC 5321 §4.1.4).
  if (hello.code === 500 || hello.code === 502) hello = await command(c, 'ehlo', `HELO ${ehloName(c.socket)}`)
  const badHello = classify(base, 'ehlo', hello)
  if (badHello) return badHello
  const mail = await command(c, 'mail', 'MAIL FROM:<>')
  const badMail = classify(base, 'mail', mail)
  if (badMail) return badMail
  const rcpt = await command(c, 'rcpt', `RCPT TO:<${recipient}>`)
  const badRcpt = classify(base, 'rcpt', rcpt)
  if (badRcpt) return badRcpt
  if (rcpt.code !== 250 && rcpt.code !== 251) return {...end(base, 'tempfail', 'rcpt', rcpt), error: `unexpected reply ${rcpt.code} to RCPT`}
  return end(base, 'accepted', 'rcpt', rcpt)
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
