import {isIP} from 'node:net'
import {formatDuration} from '../lib/time.js'
import {serverName, type InspectReport} from '../zone/inspect.js'
import {finding} from './codes.js'
import {describeStatus, isDefinite} from './lookup.js'
import type {Finding} from './types.js'

/** Above this the wait before a swap (the old TTL) runs into a working day. */
export const MX_TTL_HIGH_SECONDS = 6 * 3600

/** "192.0.2.25" or "[192.0.2.25]" written as an MX exchange name. */
export function isIpLiteral(exchange: string): boolean {
  const x = exchange.replace(/^\[|\]$/g, '').replace(/\.$/, '')
  return isIP(x) !== 0 || /^\d{1,3}(\.\d{1,3}){3}$/.test(x)
}

export function auditMx(report: InspectReport): Finding[] {
  const out: Finding[] = []
  const d = report.domain
  const subject = `${d} MX`
  const records = report.mx.records
  if (report.mx.status !== 'ok' && report.mx.status !== 'nodata' && report.mx.status !== 'nxdomain' && records.length === 0) {
    const ref = report.nameservers.find((n) => n.reachable && n.authoritative)
    const where = ref ? ` (${report.mx.status} from ${serverName(ref)})` : ` (${report.mx.status})`
    out.push(finding('CHECK_INCOMPLETE', subject, `the MX RRset of ${d} could not be read from the authoritative servers${where}: a failed lookup is not a missing record; run the audit again.`))
    return out
  }
  if (records.length === 0) {
    out.push(finding('MX_NONE_IMPLICIT', subject, `${d} has no MX records, so senders deliver to its A/AAAA address (RFC 5321 §5.1); the swap creates the MX RRset, and if the domain should take no mail, publish a null MX "0 ." instead.`))
  } else if (report.mx.nullMx) {
    out.push(finding('MX_NULL', subject, `${d} publishes a null MX (RFC 7505) and refuses all mail today; the swap must replace "0 ." with the target's MX in one update, never add beside it.`))
  } else if (records.some((m) => m.exchange === '.')) {
    out.push(finding('MX_NULL_MIXED', subject, `${d} publishes a null MX "0 ." beside other MX records, which RFC 7505 §3 forbids and senders treat unpredictably; remove the "0 ." record.`))
  }
  const seen = new Map<number, string[]>()
  for (const m of records) if (m.exchange !== '.') seen.set(m.priority, [...(seen.get(m.priority) ?? []), m.exchange])
  for (const [priority, hosts] of seen) {
    if (hosts.length > 1) {
      out.push(finding('MX_DUPLICATE_PRIORITY', `${subject} ${priority}`, `${hosts.join(', ')} share priority ${priority}: senders spread mail across them (load sharing, not failover); keep it only if each can take all the mail.`))
    }
  }
  if (report.mx.ttl !== null && report.mx.ttl > MX_TTL_HIGH_SECONDS && records.length > 0) {
    out.push(finding('MX_TTL_HIGH', subject, `the MX TTL is ${report.mx.ttl} s (${formatDuration(report.mx.ttl)}): resolvers may keep the old MX that long, so the plan lowers it first and waits ${formatDuration(report.mx.ttl)} before the swap; lower it now to start that clock early.`))
  }
  for (const t of report.mxTargets) {
    const host = `${t.exchange} (MX of ${d})`
    if (isIpLiteral(t.exchange)) {
      out.push(finding('MX_TARGET_IP_LITERAL', host, `the MX exchange ${t.exchange} is an IP address written as a name; senders look it up as a host name and fail, so point the MX at a host name with an A/AAAA record.`))
      continue
    }
    if (t.cname) {
      out.push(finding('MX_TARGET_CNAME', host, `the MX exchange ${t.exchange} is an alias of ${t.cname} (RFC 2181 §10.3 forbids it, and some senders refuse it); point the MX at the canonical name ${t.cname}.`))
      continue
    }
    if (t.status === 'not-looked-up') {
      out.push(finding('CHECK_INCOMPLETE', host, `the MX exchange ${t.exchange} is outside the zone and was not looked up (no resolver given); add --resolver to check it.`))
      continue
    }
    if (t.addresses.length === 0) {
      const status = {status: t.status, from: t.server ?? (t.from === 'authoritative' ? "the zone's servers" : 'the resolver')}
      if (isDefinite(t.status)) {
        out.push(finding('MX_TARGET_UNRESOLVABLE', host, `the MX exchange ${t.exchange} ${describeStatus(status)}, so senders cannot deliver to it; publish its A/AAAA record or remove it from the MX RRset.`))
      } else {
        out.push(finding('CHECK_INCOMPLETE', host, `the MX exchange ${t.exchange} ${describeStatus(status)}; check it again before the cutover.`))
      }
    }
  }
  return out
}
