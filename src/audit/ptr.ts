import {isIPv4, isIPv6} from 'node:net'
import {canonicalName} from '../dns/names.js'
import {finding} from './codes.js'
import {describeStatus, followCname, isDefinite, resolveHost, type LookupFn} from './lookup.js'
import type {Finding, PtrStatus} from './types.js'

/**
 * Forward-confirmed reverse DNS of MX addresses (RFC 8601 §3 "iprev"): the
 * address's PTR names a host whose A/AAAA records include the address. An MX
 * host usually sends too (bounces, forwards), and receivers that check iprev
 * refuse or downgrade mail from an address that fails it. The big providers
 * run their own reverse zones (their profiles say so): only custom hosts are
 * checked.
 */

export interface PtrReport {
  address: string
  /** The name asked: d.c.b.a.in-addr.arpa or the ip6.arpa nibbles. */
  reverse: string
  status: PtrStatus
  /** The names the PTR records give. */
  names: string[]
  /** What the lookup said when it failed, or what the names resolve to when they do not confirm. */
  detail?: string
}

/** The reverse-lookup name of an address (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(address: string): string {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`)
  const [head, tail = ''] = address.toLowerCase().split('::')
  const groups = (s: string) => (s === '' ? [] : s.split(':'))
  const left = groups(head)
  const right = groups(tail)
  const all = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  const nibbles = all.map((g) => g.padStart(4, '0')).join('')
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`
}

/** The PTR of one address and whether one of its names resolves back to it. */
export async function checkPtr(address: string, lookup: LookupFn): Promise<PtrReport> {
  const reverse = reverseName(address)
  // Classless reverse delegation (RFC 2317) answers with a CNAME to the PTR.
  const r = await followCname(lookup, reverse, 'PTR')
  if (!r.broken && !isDefinite(r.status)) return {address, reverse, status: 'incomplete', names: [], detail: `${reverse} PTR ${describeStatus(r)}`}
  const names = [...new Set(r.records.map((x) => canonicalName(String(x.data))))]
  if (names.length === 0) return {address, reverse, status: 'missing', names, detail: r.broken ? r.error : `${reverse} has no PTR record (${r.status.toUpperCase()} from ${r.from})`}
  const forward = await Promise.all(names.map((n) => resolveHost(lookup, n)))
  if (forward.some((f) => f.addresses.includes(address))) return {address, reverse, status: 'confirmed', names}
  if (forward.every((f) => f.addresses.length === 0 && !isDefinite(f.status))) {
    return {address, reverse, status: 'incomplete', names, detail: forward.map((f) => `${f.name} ${describeStatus(f)}`).join('; ')}
  }
  const said = forward.map((f) => `${f.name} → ${f.addresses.length > 0 ? f.addresses.join(', ') : describeStatus(f)}`).join('; ')
  return {address, reverse, status: 'mismatch', names, detail: said}
}

/** The findings of one host's addresses: MX_PTR_MISMATCH where the PTR does not confirm, CHECK_INCOMPLETE where it could not be read. */
export function ptrFindings(exchange: string, reports: readonly PtrReport[]): Finding[] {
  const out: Finding[] = []
  for (const p of reports) {
    const subject = `${exchange} ${p.address} PTR`
    if (p.status === 'incomplete') {
      out.push(finding('CHECK_INCOMPLETE', subject, `the reverse DNS of ${exchange} (${p.address}) could not be checked: ${p.detail ?? 'no answer'}; run the audit again.`))
    } else if (p.status === 'missing' || p.status === 'mismatch') {
      const what =
        p.status === 'missing'
          ? `has no PTR record (${p.detail ?? reverseName(p.address)})`
          : `has a PTR to ${p.names.join(', ')}, which does not resolve back to it (${p.detail ?? ''})`
      out.push(
        finding(
          'MX_PTR_MISMATCH',
          subject,
          `${p.address}, an address of the MX host ${exchange}, ${what}: receivers that check forward-confirmed reverse DNS refuse or mark the mail this host sends (bounces, forwards); ask whoever runs ${p.address} to set its PTR to ${exchange} (or another name whose A/AAAA is ${p.address}).`,
        ),
      )
    }
  }
  return out
}
