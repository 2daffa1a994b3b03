import {canonicalName} from '../dns/names.js'
import {reverseDnsProvider, type Profile} from '../profiles/index.js'
import {finding} from './codes.js'
import {resolveHost, type HostAddresses, type LookupFn} from './lookup.js'
import {isIpLiteral} from './mx.js'
import {addressJson, deliveryResult, hostVerdict, probeAddresses, replyText, type HostProbeOptions} from './mx-probe.js'
import {checkPtr, ptrFindings, type PtrReport} from './ptr.js'
import {describeProbe, type SmtpProbeResult} from './smtp.js'
import type {Finding, MxHostJson, MxRole} from './types.js'


/**
 * Every MX host a sender may pick, today's (the source) and the target's,
 * each address probed: a listed host that refuses the domain bounces mail
 * whenever the hosts before it are unreachable, and nobody notices until
 * the outage (MX_BACKUP_REJECTS).
 */


export interface MxHostReport {
  role: MxRole
  priority: number
  exchange: string
  resolved: HostAddresses
  /** One session per address, when the SMTP probe ran. */
  probes: SmtpProbeResult[]
  /** The answer that speaks for the host (hostVerdict). */
  probe?: SmtpProbeResult
  /** Forward-confirmed reverse DNS per address, for custom hosts. */
  ptr?: PtrReport[]
}

/** One address of one host in `audit --json` (`hosts`): drill's shape, with the role and the PTR check. */
/** Resolves the hosts (each once, at its best priority) and, when asked, probes every address. */
export async function probeMxHosts(role: MxRole, records: ReadonlyArray<{priority: number; exchange: string}>, lookup: LookupFn, probe: HostProbeOptions | null): Promise<MxHostReport[]> {
  const best = new Map<string, number>()
  for (const r of records) {
    const x = canonicalName(r.exchange)
    if (x === '' || x === '.' || isIpLiteral(r.exchange)) continue
    best.set(x, Math.min(best.get(x) ?? r.priority, r.priority))
  }
  const hosts = [...best].map(([exchange, priority]) => ({exchange, priority})).sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))
  return Promise.all(
    hosts.map(async (h): Promise<MxHostReport> => {
      const resolved = await resolveHost(lookup, h.exchange)
      const probes = probe && resolved.addresses.length > 0 ? await probeAddresses(h.exchange, resolved.addresses, probe) : []
      const verdict = hostVerdict(probes)
      return {role, ...h, resolved, probes, ...(verdict ? {probe: verdict} : {})}
    }),
  )
}

/** Today's MX hosts: a refusal is MX_BACKUP_REJECTS, an answer that says nothing of the domain a CHECK_INCOMPLETE. */
export function sourceFindings(domain: string, hosts: readonly MxHostReport[]): Finding[] {
  const out: Finding[] = []
  const first = Math.min(...hosts.map((h) => h.priority))
  for (const h of hosts) {
    if (h.probes.length === 0) continue
    const port = h.probes[0].port
    const subject = `${h.exchange} port ${port}`
    const refused = h.probes.filter((p) => deliveryResult(p) === 'bounce')
    if (refused.length > 0) {
      const when = h.priority === first ? 'senders that reach it' : 'whenever the hosts before it do not answer, senders'
      out.push(
        finding(
          'MX_BACKUP_REJECTS',
          subject,
          `${h.exchange} (MX ${h.priority} of ${domain}) refused RCPT TO:<postmaster@${domain}> at ${refused.map((p) => p.address).join(', ')} ("${replyText(refused[0])}"): ${when} bounce the domain's mail; make it accept mail for ${domain} (a backup MX must relay the domain to the primary) or remove it from the MX RRset.`,
        ),
      )
      continue
    }
    if (h.probes.some((p) => deliveryResult(p) === 'accept')) continue
    const p = h.probe ?? h.probes[0]
    const why = deliveryResult(p) === 'defer' ? 'a temporary refusal says nothing of whether it takes the domain\'s mail; probe again later' : "port 25 is often blocked from admin networks, so run the audit (or mxcut drill) from a server that may send mail"
    out.push(finding('CHECK_INCOMPLETE', subject, `${h.exchange} (MX ${h.priority} of ${domain}, ${p.address}) ${describeProbe(p)}; ${why}.`))
  }
  return out
}

/** The PTR of every address of the custom hosts (each address once, whichever host lists it). */
export async function checkReverseDns(hosts: readonly MxHostReport[], lookup: LookupFn, target: Profile | null): Promise<Finding[]> {
  const seen = new Map<string, Promise<PtrReport>>()
  const each = await Promise.all(
    hosts.map(async (h) => {
      if (reverseDnsProvider(h.exchange, h.role === 'target' ? target : null)) return []
      h.ptr = await Promise.all(
        h.resolved.addresses.map((a) => {
          let r = seen.get(a)
          if (!r) seen.set(a, (r = checkPtr(a, lookup)))
          return r
        }),
      )
      return ptrFindings(h.exchange, h.ptr)
    }),
  )
  return each.flat()
}

/** Every probed or checked address of every host, for `--json`. */
export function hostsJson(hosts: readonly MxHostReport[]): MxHostJson[] {
  return hosts.flatMap((h) =>
    h.resolved.addresses.map((address) => {
      const p = h.probes.find((x) => x.address === address)
      const ptr = h.ptr?.find((x) => x.address === address)
      const probed = p ? addressJson(h, p) : null
      return {
        role: h.role,
        priority: h.priority,
        exchange: h.exchange,
        address,
        result: probed?.result ?? null,
        stage: probed?.stage ?? null,
        reply: probed?.reply ?? null,
        starttls: probed?.starttls ?? null,
        certificateMatches: probed?.certificateMatches ?? null,
        ptr: ptr ? {status: ptr.status, names: ptr.names} : null,
      }
    }),
  )
}
