import net from 'node:net'

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

export interface SmtpListener {
  address: string
  port: number
  /** Every command line received, per connection. */
  sessions: string[][]
  close(): Promise<void>
}

/**
 * A small SMTP server for tests, speaking enough RFC 5321 to be probed:
 * multi-line EHLO replies, MAIL, RCPT, RSET, NOOP, QUIT; DATA is answered
 * and recorded, so a test can prove the probe never sends it.
 */
export async function startSmtpListener(address: string, behaviour: SmtpBehaviour, port = 0): Promise<SmtpListener> {
  const sessions: string[][] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const lines: string[] = []
    sessions.push(lines)
    if (behaviour === 'hang') return
    const say = (text: string) => socket.write(text + '\r\n')
    if (behaviour === 'reject-client') {
      say('554 5.7.1 Service unavailable; client host blocked using test list')
    } else {
      say(`220 mx.lab ESMTP ready`)
    }
    let buffer = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '')
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        const verb = line.split(' ')[0].toUpperCase()
        if (verb === 'EHLO') {
          say('250-mx.lab greets you')
          say('250-PIPELINING')
          say('250-SIZE 36700160')
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
          socket.end()
        } else say('502 5.5.2 Command not recognised')
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, address, () => resolve())
  })
  const bound = server.address() as net.AddressInfo
  return {
    address,
    port: bound.port,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
