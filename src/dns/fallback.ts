import type {RecordType} from 'dns-packet'
import type {DnsClient, QueryOptions, QueryResult} from './client.js'
import {serverLabel, type ServerSpec} from './server.js'

/**
 * Questions to an authoritative server that go unanswered over UDP are asked
 * again over TCP, as the zone reader does: a server behind a firewall that
 * drops UDP/53, or one that answers from the wrong address or port (the
 * client ignores such datagrams, RFC 5452), still serves its zone over TCP,
 * and mxcut must read it there rather than wait for it in vain.
 *
 * A server found to answer only over TCP is remembered for the life of the
 * client, so later questions (a verify loop, a host polling for a change)
 * go straight to TCP instead of paying the UDP timeout each time.
 */

const tcpOnly = new WeakMap<DnsClient, Set<string>>()

/** No answer at all (a timeout, or a network error without a DNS rcode): worth asking over TCP. */
function silent(r: QueryResult): boolean {
  return r.status === 'timeout' || (r.status === 'error' && r.rcode === undefined)
}

function remembered(client: DnsClient): Set<string> {
  let set = tcpOnly.get(client)
  if (!set) {
    set = new Set()
    tcpOnly.set(client, set)
  }
  return set
}

/** Whether this client has seen the server answer only over TCP. */
export function knownTcpOnly(client: DnsClient, server: ServerSpec): boolean {
  return server.kind === 'dns' && (tcpOnly.get(client)?.has(serverLabel(server)) ?? false)
}

/** Records that the server answered over TCP after UDP went unanswered. */
export function rememberTcpOnly(client: DnsClient, server: ServerSpec): void {
  if (server.kind === 'dns') remembered(client).add(serverLabel(server))
}

export function forgetTcpOnly(client: DnsClient, server: ServerSpec): void {
  if (server.kind === 'dns') tcpOnly.get(client)?.delete(serverLabel(server))
}

/** One question with UDP first and TCP when UDP goes unanswered (or TCP at once for a server known to need it). */
export async function queryWithTcpFallback(client: DnsClient, server: ServerSpec, name: string, type: RecordType, options: QueryOptions = {}): Promise<QueryResult> {
  if (server.kind !== 'dns' || options.tcp === 'only') return client.query(server, name, type, options)
  if (knownTcpOnly(client, server)) {
    const r = await client.query(server, name, type, {...options, tcp: 'only'})
    if (!silent(r)) return r
    // TCP fell silent too: forget it, and try UDP again as for any server.
    forgetTcpOnly(client, server)
  }
  const r = await client.query(server, name, type, options)
  if (!silent(r) || options.signal?.aborted) return r
  const overTcp = await client.query(server, name, type, {...options, tcp: 'only'})
  if (silent(overTcp)) return r
  rememberTcpOnly(client, server)
  return overTcp
}
