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
  const socket = new net.Socket()
  let buffer = ''
  let lines: string[] = []
  const ready: Reply[] = []
  let waiting: {resolve: (r: Reply) => void; reject: (e: Error) => void; stage: SmtpStage} | null = null
  let closedError: Error | null = null

  const fail = (err: Error) => {
    closedError = closedError ?? err
    if (waiting) {
      const w = waiting
      waiting = null
      w.reject(new ProbeEnd(w.stage, err.message))
    }
  }
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    if (buffer.length > 64 * 1024) {
      fail(new Error('reply longer than 64 KiB'))
      socket.destroy()
      return
    }
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '')
      buffer = buffer.slice(nl + 1)
      lines.push(line)
      const m = /^(\d{3})([ -]|$)(.*)$/.exec(line)
      if (!m) {
        fail(new Error(`not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`))
        socket.destroy()
        return
      }
      if (m[2] === '-') continue
      const reply = {code: Number(m[1]), text: lines.map((l) => l.slice(4)).join(' ').trim()}
      lines = []
      if (waiting) {
        const w = waiting
        waiting = null
        w.resolve(reply)
      } else ready.push(reply)
    }
  })
  socket.on('error', (err) => fail(err))
  socket.on('close', () => fail(new Error('the server closed the connection')))

  const nextReply = (stage: SmtpStage): Promise<Reply> => {
    const queued = ready.shift()
    if (queued) return Promise.resolve(queued)
    if (closedError) return Promise.reject(new ProbeEnd(stage, closedError.message))
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = null
        reject(new ProbeEnd(stage, stage === 'greeting' ? `connected, but no greeting within ${options.timeoutMs} ms` : `no reply within ${options.timeoutMs} ms`))
      }, options.timeoutMs)
      waiting = {
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
  const command = (stage: SmtpStage, line: string): Promise<Reply> => {
    socket.write(line + '\r\n')
    return nextReply(stage)
  }
  const end = (outcome: SmtpOutcome, stage: SmtpStage, reply: Reply): SmtpProbeResult => ({...base, outcome, stage, code: reply.code, reply: reply.text})
  const classify = (stage: SmtpStage, reply: Reply): SmtpProbeResult | null => {
    if (reply.code >= 400 && reply.code < 500) return end('tempfail', stage, reply)
    if (reply.code >= 500) return end(stage === 'rcpt' ? 'rejected' : 'refused-client', stage, reply)
    return null
  }

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ProbeEnd('connect', `no TCP connection within ${options.timeoutMs} ms`)), options.timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(new ProbeEnd('connect', errorMessage(err)))
      })
      socket.connect({host: options.address, port})
    })
    const greeting = await nextReply('greeting')
    const badGreeting = classify('greeting', greeting)
    if (badGreeting) return badGreeting
    let hello = await command('ehlo', `EHLO ${ehloName(socket)}`)
    // Servers without ESMTP answer 500/502 to EHLO: fall back to HELO (RFC 5321 §4.1.4).
    if (hello.code === 500 || hello.code === 502) hello = await command('ehlo', `HELO ${ehloName(socket)}`)
    const badHello = classify('ehlo', hello)
    if (badHello) return badHello
    const mail = await command('mail', 'MAIL FROM:<>')
    const badMail = classify('mail', mail)
    if (badMail) return badMail
    const rcpt = await command('rcpt', `RCPT TO:<${options.recipient}>`)
    const badRcpt = classify('rcpt', rcpt)
    if (badRcpt) return badRcpt
    if (rcpt.code !== 250 && rcpt.code !== 251) return {...end('tempfail', 'rcpt', rcpt), error: `unexpected reply ${rcpt.code} to RCPT`}
    return end('accepted', 'rcpt', rcpt)
  } catch (err) {
    if (err instanceof ProbeEnd) return {...base, outcome: 'unreachable', stage: err.stage, error: err.message}
    throw err
  } finally {
    if (!closedError && socket.writable) {
      // A polite QUIT; its answer does not matter, and a hung server must not hold us.
      socket.end('QUIT\r\n')
      setTimeout(() => socket.destroy(), 200).unref()
    } else socket.destroy()
  }
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
