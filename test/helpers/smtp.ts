import net from 'node:net'
import tls from 'node:tls'

export type SmtpBehaviour =
  /** Takes every recipient (250). */
  | 'accept'
  /** Refuses RCPT like an MTA that does not serve the domain: 554 5.7.1 Relay access denied. */
  | 'reject-rcpt'
  /** 451 to RCPT, like greylisting. */
  | 'tempfail-rcpt'
  /** 554 banner: refuses this client outright. */
  | 'reject-client'
  /** Accepts the TCP connection and never says a word. */
  | 'hang'

export interface SmtpListenerOptions {
  /**
   * Offer STARTTLS (RFC 3207) with this key and certificate; 'broken' offers
   * it and answers 220, then sends bytes that are not TLS and hangs up, as a
   * server with a broken TLS setup does. Without it, no STARTTLS.
   */
  tls?: {key: string; cert: string} | 'broken'
}

export interface SmtpListener {
  address: string
  port: number
  /** Every command line received, per connection (those after STARTTLS included). */
  sessions: string[][]
  /** Per connection: whether the session went on inside TLS. */
  secured: boolean[]
  close(): Promise<void>
}

type Stream = net.Socket | tls.TLSSocket

/**
 * A small SMTP server for tests, speaking enough RFC 5321 to be probed:
 * multi-line EHLO replies, STARTTLS when configured, MAIL, RCPT, RSET, NOOP,
 * QUIT; DATA is answered and recorded, so a test can prove the probe never
 * sends it.
 */
export async function startSmtpListener(address: string, behaviour: SmtpBehaviour, port = 0, options: SmtpListenerOptions = {}): Promise<SmtpListener> {
  const sessions: string[][] = []
  const secured: boolean[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    // Replies go out line by line: without this, Nagle holds each next line for the client's delayed ACK (40 ms).
    socket.setNoDelay(true)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const lines: string[] = []
    const index = sessions.push(lines) - 1
    secured.push(false)
    if (behaviour === 'hang') return
    if (behaviour === 'reject-client') socket.write('554 5.7.1 Service unavailable; client host blocked using test list\r\n')
    else socket.write('220 mx.lab ESMTP ready\r\n')
    const upgrade = (raw: net.Socket) => {
      if (options.tls === 'broken') {
        raw.end('this is not TLS\r\n')
        return
      }
      const secure = new tls.TLSSocket(raw, {isServer: true, key: options.tls?.key, cert: options.tls?.cert})
      secure.on('error', () => raw.destroy())
      secured[index] = true
      serve(secure, lines, false)
    }
    serve(socket, lines, options.tls !== undefined, upgrade)
  })

  function serve(stream: Stream, lines: string[], offerTls: boolean, upgrade?: (raw: net.Socket) => void): void {
    const say = (text: string) => stream.write(text + '\r\n')
    let buffer = ''
    stream.setEncoding('latin1')
    const onData = (chunk: string) => {
      buffer += chunk
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '')
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        const verb = line.split(' ')[0].toUpperCase()
        if (verb === 'STARTTLS' && offerTls && upgrade) {
          stream.removeListener('data', onData)
          say('220 2.0.0 Ready to start TLS')
          upgrade(stream as net.Socket)
          return
        }
        answer(verb, line, say, () => stream.end(), offerTls)
      }
    }
    stream.on('data', onData)
  }

  function answer(verb: string, line: string, say: (t: string) => void, end: () => void, offerTls: boolean): void {
    if (verb === 'EHLO') {
      say('250-mx.lab greets you')
      say('250-PIPELINING')
      say('250-SIZE 36700160')
      if (offerTls) say('250-STARTTLS')
      say('250 8BITMIME')
    } else if (verb === 'HELO') say('250 mx.lab')
    else if (verb === 'MAIL') say('250 2.1.0 Sender OK')
    else if (verb === 'RCPT') {
      if (behaviour === 'reject-rcpt') say('554 5.7.1 <' + line.replace(/^RCPT TO:<|>$/gi, '') + '>: Relay access denied')
      else if (behaviour === 'tempfail-rcpt') say('451 4.7.1 Greylisted, try again later')
      else say('250 2.1.5 Recipient OK')
    } else if (verb === 'DATA') say('354 go ahead')
    else if (verb === 'RSET' || verb === 'NOOP') say('250 OK')
    else if (verb === 'QUIT') {
      say('221 2.0.0 Bye')
      end()
    } else say('502 5.5.2 Command not recognised')
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, address, () => resolve())
  })
  const bound = server.address() as net.AddressInfo
  return {
    address,
    port: bound.port,
    sessions,
    secured,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
