import type {DnsClient} from '../dns/client.js'
import {canonicalName} from '../dns/names.js'
import type {DnsServer, ServerSpec} from '../dns/server.js'
import {UserError} from '../lib/errors.js'
import {discoverZone} from '../zone/discover.js'
import {questionKey, readFromAll} from '../zone/read.js'
import {mxRecords} from '../zone/rrset.js'
import {createLookup, describeStatus} from './lookup.js'
import {probeMxHosts, type MxHostReport} from './mx-hosts.js'
import {addressJson, deliveryResult, hostVerdict, replyText, type AddressProbeJson, type DeliveryResult} from './mx-probe.js'

/**
 * `mxcut drill DOMAIN`: the failover test the MX literature recommends
 * ("take the primary down and see"), without touching production. Each MX
 * host is reached alone, as a sender that found the hosts before it down
 * would reach it: one SMTP session per address, up to RCPT TO, never DATA.
 */

export interface DrillOptions {
  client: DnsClient
  resolvers: ServerSpec[]
  nameservers: DnsServer[]
  timeoutMs: number
  probeTimeoutMs: number
  smtpPort: number
  /** Default postmaster@DOMAIN (RFC 5321 §4.5.1: every domain that takes mail has one). */
  recipient?: string
}

/** One priority level of the MX: the hosts a sender picks among, and what they would do with the mail. */
export interface DrillLevel {
  priority: number
  hosts: Array<{exchange: string; result: DeliveryResult | 'unresolved'; reply: string}>
}

/** The `drill --json` shape (DESIGN.md), with a few additive fields. */
export interface DrillReport {
  domain: string
  zone: string
  recipient: string
  /** How the MX reads: listed hosts, no MX (the domain's own address, RFC 5321 §5.1), or a null MX (RFC 7505). */
  mx: 'listed' | 'implicit' | 'null'
  hosts: Array<AddressProbeJson>
  /** Listed hosts whose name gives no address: senders skip them. */
  unresolved: Array<{priority: number; exchange: string; status: string}>
  levels: DrillLevel[]
  wouldBounce: boolean
}

export async function drillDomain(rawDomain: string, o: DrillOptions): Promise<DrillReport> {
  const domain = canonicalName(rawDomain)
  const info = await discoverZone(domain, {client: o.client, resolvers: o.resolvers, nameservers: o.nameservers, timeoutMs: o.timeoutMs})
  const views = await readFromAll(o.client, info.zone, info.nameservers, [{name: domain, type: 'MX'}], {timeoutMs: o.timeoutMs})
  const live = views.filter((v) => v.reachable && v.authoritative)
  const answer = live.map((v) => v.answers[questionKey(domain, 'MX')]).find((a) => a && (a.status === 'ok' || a.status === 'nodata' || a.status === 'nxdomain'))
  if (!answer) throw new UserError(`the MX of ${domain} could not be read from any authoritative server of ${info.zone}; check them (or --nameserver) and try again`)
  if (answer.status === 'nxdomain') throw new UserError(`${domain} does not exist (NXDOMAIN from the authoritative servers of ${info.zone}); check the spelling`)
  const listed = mxRecords(answer.rrset)
  const recipient = o.recipient ?? `postmaster@${domain}`
  const base = {domain, zone: info.zone, recipient}
  if (listed.length === 1 && listed[0].exchange === '.') return {...base, mx: 'null', hosts: [], unresolved: [], levels: [], wouldBounce: false}
  // No MX: senders deliver to the domain's own A/AAAA, as if it were the only MX at priority 0.
  const records = listed.length > 0 ? listed.filter((m) => m.exchange !== '.') : [{priority: 0, exchange: domain}]
  const lookup = createLookup({client: o.client, zone: info.zone, authoritative: live.map((v) => v.server), resolvers: o.resolvers, timeoutMs: o.timeoutMs})
  const hosts = await probeMxHosts('source', records, lookup, {recipient, port: o.smtpPort, timeoutMs: o.probeTimeoutMs})
  const rows = hosts.flatMap((h) => h.probes.map((p) => addressJson(h, p)))
  return {
    ...base,
    mx: listed.length > 0 ? 'listed' : 'implicit',
    hosts: rows,
    unresolved: hosts.filter((h) => h.resolved.addresses.length === 0).map((h) => ({priority: h.priority, exchange: h.exchange, status: describeStatus(h.resolved)})),
    levels: levelsOf(hosts),
    wouldBounce: rows.some((r) => r.result === 'bounce'),
  }
}

function levelsOf(hosts: readonly MxHostReport[]): DrillLevel[] {
  const levels = new Map<number, DrillLevel>()
  for (const h of hosts) {
    const level = levels.get(h.priority) ?? {priority: h.priority, hosts: []}
    const v = hostVerdict(h.probes)
    level.hosts.push({exchange: h.exchange, result: v ? deliveryResult(v) : 'unresolved', reply: v ? replyText(v) : describeStatus(h.resolved)})
    levels.set(h.priority, level)
  }
  return [...levels.values()].sort((a, b) => a.priority - b.priority)
}
