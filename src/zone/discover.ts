import type {RecordType} from 'dns-packet'
import type {DnsClient, QueryResult} from '../dns/client.js'
import {queryWithTcpFallback} from '../dns/fallback.js'
import {canonicalName, isInZone} from '../dns/names.js'
import type {SoaData} from '../dns/records.js'
import {serverLabel, type DnsServer, type ServerSpec} from '../dns/server.js'
import {UserError} from '../lib/errors.js'

/** One authoritative server of a zone: an NS name and one of its addresses. */
export interface AuthServer extends DnsServer {
  /** The NS host name, or the address when given with --nameserver. */
  host: string
}

export interface ZoneInfo {
  zone: string
  nameservers: AuthServer[]
  /** NS names published at the apex (may be empty with --nameserver and no NS answer). */
  nsNames: string[]
}

export interface DiscoverOptions {
  client: DnsClient
  resolvers: ServerSpec[]
  /** Overrides discovery: these servers are the authoritative set. */
  nameservers?: DnsServer[]
  timeoutMs?: number
}

/** Asks the servers in turn until one gives a usable answer (not timeout/error/SERVFAIL/REFUSED). */
export async function askFirst(
  client: DnsClient,
  servers: readonly ServerSpec[],
  name: string,
  type: RecordType,
  options: {recursion?: boolean; timeoutMs?: number} = {},
): Promise<QueryResult> {
  let last: QueryResult | undefined
  for (const server of servers) {
    const r = await client.query(server, name, type, options)
    if (r.status === 'ok' || r.status === 'nodata' || r.status === 'nxdomain') return r
    last = r
  }
  if (!last) throw new UserError('no DNS server to ask: give --resolver or --nameserver')
  return last
}

function describeFailure(r: QueryResult): string {
  return `${serverLabel(r.server)} answered ${r.status}${r.error ? ` (${r.error})` : ''}`
}

function nxdomain(name: string, r: QueryResult, zone: string): UserError {
  return new UserError(`${name} does not exist (NXDOMAIN from ${serverLabel(r.server)} in zone ${zone}); check the spelling`)
}

/** The SOA owner seen in an answer or in the authority section (RFC 2308 negative answers) is the zone apex. */
function apexFrom(r: QueryResult): {zone: string; soa: SoaData} | null {
  const soa = [...r.answers, ...r.authorities].find((a) => a.type === 'SOA')
  return soa ? {zone: soa.name, soa: soa.data as SoaData} : null
}

export async function discoverZone(domain: string, options: DiscoverOptions): Promise<ZoneInfo> {
  const name = canonicalName(domain)
  const timeoutMs = options.timeoutMs
  if (options.nameservers && options.nameservers.length > 0) {
    // Ask the given servers directly; the first authoritative answer names the zone.
    const tries: string[] = []
    for (const server of options.nameservers) {
      const r = await queryWithTcpFallback(options.client, server, name, 'SOA', {recursion: false, timeoutMs})
      const apex = apexFrom(r)
      if (r.aa && apex && isInZone(name, apex.zone)) {
        if (r.status === 'nxdomain') throw nxdomain(name, r, apex.zone)
        const ns = await queryWithTcpFallback(options.client, server, apex.zone, 'NS', {recursion: false, timeoutMs})
        return {
          zone: apex.zone,
          nsNames: ns.answers.filter((a) => a.type === 'NS').map((a) => a.data as string),
          nameservers: options.nameservers.map((s) => ({...s, host: s.name})),
        }
      }
      tries.push(r.aa ? `${serverLabel(server)} gave no SOA` : r.status === 'ok' || r.status === 'nodata' || r.status === 'nxdomain' ? `${serverLabel(server)} is not authoritative for ${name}` : describeFailure(r))
    }
    throw new UserError(`no given name server is authoritative for ${name}: ${tries.join('; ')}`)
  }

  if (options.resolvers.length === 0) throw new UserError('no resolver to discover the name servers with: give --resolver or --nameserver')
  const soa = await askFirst(options.client, options.resolvers, name, 'SOA', {timeoutMs})
  const apex = apexFrom(soa)
  if (!apex) {
    if (soa.status === 'nxdomain') throw new UserError(`${name} does not exist (NXDOMAIN from ${serverLabel(soa.server)}); check the spelling`)
    throw new UserError(`cannot find the zone of ${name}: ${describeFailure(soa)}; check --resolver or give --nameserver`)
  }
  if (soa.status === 'nxdomain') throw nxdomain(name, soa, apex.zone)
  const nsAnswer = await askFirst(options.client, options.resolvers, apex.zone, 'NS', {timeoutMs})
  const nsNames = [...new Set(nsAnswer.answers.filter((a) => a.type === 'NS' && a.name === apex.zone).map((a) => a.data as string))].sort()
  if (nsNames.length === 0) throw new UserError(`${apex.zone} has no NS records according to ${serverLabel(nsAnswer.server)}`)

  const nameservers: AuthServer[] = []
  await Promise.all(
    nsNames.map(async (host) => {
      const a = await askFirst(options.client, options.resolvers, host, 'A', {timeoutMs})
      let addresses = a.answers.filter((x) => x.type === 'A').map((x) => x.data as string)
      if (addresses.length === 0) {
        // Only when a server has no IPv4 address: many admin networks cannot reach IPv6 at all.
        const aaaa = await askFirst(options.client, options.resolvers, host, 'AAAA', {timeoutMs})
        addresses = aaaa.answers.filter((x) => x.type === 'AAAA').map((x) => x.data as string)
      }
      for (const address of addresses) nameservers.push({kind: 'dns', address, port: 53, name: host, host})
    }),
  )
  if (nameservers.length === 0) throw new UserError(`none of the name servers of ${apex.zone} (${nsNames.join(', ')}) has an address`)
  nameservers.sort((x, y) => x.host.localeCompare(y.host) || x.address.localeCompare(y.address))
  return {zone: apex.zone, nsNames, nameservers}
}
