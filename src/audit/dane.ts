import {canonicalName} from '../dns/names.js'
import {finding} from './codes.js'
import {describeStatus, isDefinite, type LookupFn} from './lookup.js'
import type {Finding} from './types.js'

async function tlsaOf(lookup: LookupFn, host: string): Promise<{host: string; name: string; has: boolean; known: boolean; detail: string}> {
  const name = `_25._tcp.${canonicalName(host)}`
  const r = await lookup(name, 'TLSA')
  return {host, name, has: r.answers.some((a) => a.type === 'TLSA'), known: isDefinite(r.status), detail: describeStatus(r)}
}

/**
 * DANE for SMTP (RFC 7672): senders that validate DANE pin the source's
 * certificates; a target without TLSA silently drops that protection, and a
 * stale TLSA left on a reused host name would make them refuse delivery.
 */
export async function auditDane(sourceHosts: readonly string[], targetHosts: readonly string[], lookup: LookupFn): Promise<Finding[]> {
  if (sourceHosts.length === 0 || targetHosts.length === 0) return []
  const source = await Promise.all(sourceHosts.map((h) => tlsaOf(lookup, h)))
  const withTlsa = source.filter((s) => s.has)
  if (withTlsa.length === 0) return []
  const target = await Promise.all(targetHosts.map((h) => tlsaOf(lookup, h)))
  const unknown = target.filter((t) => !t.known)
  if (unknown.length > 0) {
    return unknown.map((t) => finding('CHECK_INCOMPLETE', `${t.name} TLSA`, `the TLSA record ${t.name} ${t.detail}; check DANE support of the target again.`))
  }
  if (target.some((t) => t.has)) return []
  return [
    finding(
      'DANE_TLSA_SOURCE_ONLY',
      withTlsa.map((s) => `${s.name} TLSA`).join(', '),
      `today's MX hosts publish TLSA records (${withTlsa.map((s) => s.host).join(', ')}) but the target's (${targetHosts.join(', ')}) do not, so DANE-validating senders lose certificate pinning after the swap; enable DANE at the provider if it offers it (Microsoft 365: the *.mx.microsoft endpoint), or accept the downgrade knowingly.`,
    ),
  ]
}
