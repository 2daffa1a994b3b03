import {randomInt} from 'node:crypto'
import * as packet from 'dns-packet'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'
import type {DnsServer} from './server.js'
import {udpExchange} from './transport.js'

/**
 * Which name server software answers at an address, from its `version.bind`
 * CH TXT (what BIND, Knot, PowerDNS and NSD answer unless told to hide it).
 * Used to explain behaviour a server is known for, never to decide anything
 * that matters: null when the server hides it or does not answer.
 */
export async function serverSoftware(server: DnsServer, options: {timeoutMs?: number} = {}): Promise<string | null> {
  const id = randomInt(0, 65536)
  const request = Buffer.from(packet.encode({type: 'query', id, flags: 0, questions: [{type: 'TXT', class: 'CH', name: 'version.bind'}]}))
  try {
    // Refused under the loopback guard like any connection; here that only means "not known".
    assertConnectionAllowed('DNS', server.address)
    const raw = await udpExchange(server, request, {timeoutMs: options.timeoutMs ?? 1000, accept: (msg) => msg.length >= 12 && msg.readUInt16BE(0) === id})
    const answer = packet.decode(raw)
    const txt = answer.answers?.find((a) => a.type === 'TXT')
    if (!txt || (raw.readUInt16BE(2) & 0xf) !== 0) return null
    const parts = Array.isArray(txt.data) ? txt.data : [txt.data]
    const text = parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('')
    return text.trim() === '' ? null : text.trim().slice(0, 100)
  } catch {
    return null
  }
}

export function isPowerDns(software: string | null | undefined): boolean {
  return software !== null && software !== undefined && /powerdns/i.test(software)
}

/** PowerDNS's default xfr-cycle-interval: how long after a change it may take to send NOTIFY. */
export const POWERDNS_NOTIFY_CYCLE_SECONDS = 60

/** Why a PowerDNS primary's secondaries lag, in one sentence. */
export function powerDnsLagReason(primary: string): string {
  return `PowerDNS at ${primary} sends NOTIFY for a change only at its next xfr-cycle-interval check (${POWERDNS_NOTIFY_CYCLE_SECONDS} s by default), so its secondaries get each change up to a minute later`
}
