import {bold, dim, green, red, table, yellow} from '../lib/style.js'
import type {DrillLevel, DrillReport} from './drill.js'
import type {DeliveryResult} from './mx-probe.js'

const RESULT_COLOUR: Record<DeliveryResult | 'unresolved', (s: string) => string> = {accept: green, defer: yellow, bounce: red, unreachable: yellow, unresolved: red}

/** What a sender that reaches this level gets, in one phrase. */
function levelOutcome(level: DrillLevel): string {
  const one = level.hosts.length === 1
  const parts = level.hosts.map((h) => {
    const who = one ? 'it' : h.exchange
    switch (h.result) {
      case 'accept':
        return `${who} accepts the domain's mail`
      case 'defer':
        return `${who} defers it (${h.reply}): the mail waits in the senders' queues and is retried`
      case 'bounce':
        return `${who} refuses the domain (${h.reply}): the mail bounces back to its senders`
      case 'unreachable':
        return `${who} could not be tested from here (${h.reply})`
      case 'unresolved':
        return `${who} has no address (${h.reply}), so senders skip it`
    }
  })
  return parts.join('; ')
}

const names = (level: DrillLevel) => level.hosts.map((h) => `${h.exchange} (${level.priority})`).join(', ')

/** The failover walk: where mail goes when the primary fails, then the next, … */
function walk(r: DrillReport): string[] {
  const out: string[] = []
  r.levels.forEach((level, i) => {
    if (i === 0) out.push(`Senders deliver to ${names(level)}: ${levelOutcome(level)}.`)
    else out.push(`If ${names(r.levels[i - 1])} ${r.levels[i - 1].hosts.length > 1 ? 'do' : 'does'} not answer${i > 1 ? ' either' : ''}, senders deliver to ${names(level)}: ${levelOutcome(level)}.`)
  })
  return out
}

export function renderDrill(r: DrillReport): string {
  const out: string[] = []
  if (r.mx === 'null') {
    out.push(`${bold(r.domain)} publishes a null MX (RFC 7505): it accepts no mail, so there is nothing to drill.`)
    return out.join('\n')
  }
  const what = r.mx === 'implicit' ? `${r.domain} has no MX: senders deliver to its own address (RFC 5321 §5.1)` : `${r.levels.reduce((n, l) => n + l.hosts.length, 0)} MX hosts`
  out.push(`${bold(r.domain)}: ${what}; each probed alone, as a sender that found the ones before it down would reach it (RCPT TO:<${r.recipient}>, never DATA).`)
  out.push('')
  out.push(
    table(
      ['PRIO', 'HOST', 'ADDRESS', 'RESULT', 'REPLY', 'TLS'],
      r.hosts.map((h) => [
        String(h.priority),
        h.exchange,
        h.address,
        RESULT_COLOUR[h.result](h.result),
        h.reply,
        h.starttls ? `STARTTLS, certificate ${h.certificateMatches ? 'matches' : 'does not match'}` : 'no TLS',
      ]),
    ),
  )
  for (const u of r.unresolved) out.push(`${u.priority} ${u.exchange}: ${red(`${u.status}`)}; senders skip it`)
  out.push('')
  out.push(...walk(r))
  out.push('')
  const bouncing = [...new Set(r.hosts.filter((h) => h.result === 'bounce').map((h) => h.exchange))]
  if (r.wouldBounce) out.push(red(`Would bounce: ${bouncing.join(', ')} ${bouncing.length > 1 ? 'refuse' : 'refuses'} mail for ${r.domain}; make ${bouncing.length > 1 ? 'them' : 'it'} accept the domain (a backup MX relays it to the primary) or remove ${bouncing.length > 1 ? 'them' : 'it'} from the MX.`))
  else if (r.hosts.some((h) => h.result === 'accept')) out.push(green('No listed MX host would bounce the domain\'s mail.'))
  else out.push(yellow('No MX host accepted the probe from here: port 25 is often blocked from admin networks; run the drill from a server that may send mail.'))
  out.push(dim(`${r.hosts.length} SMTP session${r.hosts.length === 1 ? '' : 's'}, one per address.`))
  return out.join('\n')
}
