import {serverLabel} from '../dns/server.js'
import type {InspectReport} from '../zone/inspect.js'
import {findDisagreements, questionKey, type ServerView} from '../zone/read.js'
import {finding} from './codes.js'
import type {Finding} from './types.js'

function name(v: ServerView): string {
  const label = serverLabel(v.server)
  return v.server.host && v.server.host !== label && v.server.host !== v.server.address ? `${v.server.host} (${label})` : label
}

/**
 * The zone's servers as senders' resolvers meet them: how many, whether each
 * answers (readFromAll already tried UDP, then TCP), and whether they agree.
 */
export function auditNs(report: InspectReport, views: readonly ServerView[], nsNames: readonly string[]): Finding[] {
  const out: Finding[] = []
  const zone = report.zone
  if (nsNames.length === 1) {
    out.push(finding('NS_SINGLE', `${zone} NS`, `${zone} has one name server (${nsNames[0]}): if it fails, the domain and its mail vanish from DNS; add a second server on another network (RFC 2182 §5 asks for at least two).`))
  }
  for (const v of views) {
    if (!v.reachable) {
      out.push(finding('NS_UNREACHABLE', name(v), `${name(v)} does not answer for ${zone} over UDP or TCP (${v.error ?? 'no answer'}); fix or remove it from the NS set before the cutover, or some resolvers will keep stale MX answers.`))
    } else if (!v.authoritative) {
      out.push(finding('NS_UNREACHABLE', name(v), `${name(v)} answers but is not authoritative for ${zone} (${v.error ?? 'no AA flag'}); fix its zone configuration or remove it from the NS set.`))
    } else if (v.tcpOnly) {
      out.push(
        finding(
          'NS_TCP_ONLY',
          name(v),
          `${name(v)} answers for ${zone} only over TCP: its UDP answers never arrive (UDP/53 dropped by a firewall, or replies sent from another address or port), so resolvers that ask over UDP time out on it and slow every lookup of the domain; fix UDP/53 to it or remove it from the NS set (mxcut reads it over TCP meanwhile).`,
        ),
      )
    }
  }
  const disagreements = findDisagreements(views)
  const serial = disagreements.find((d) => d.subject === 'SOA serial')
  if (serial) {
    out.push(finding('NS_SERIAL_MISMATCH', `${zone} SOA`, `the authoritative servers serve different SOA serials (${serial.values.map((v) => `${v.server}: ${v.value}`).join(', ')}); a secondary is lagging, so wait for (or force) the zone transfer before changing anything.`))
  }
  const mx = disagreements.find((d) => d.subject === questionKey(report.domain, 'MX'))
  if (mx) {
    out.push(finding('NS_RRSET_MISMATCH', `${report.domain} MX`, `the authoritative servers serve different MX RRsets (${mx.values.map((v) => `${v.server}: ${v.value}`).join('; ')}); make them agree before the cutover, or its waits are computed from the wrong data.`))
  }
  return out
}
