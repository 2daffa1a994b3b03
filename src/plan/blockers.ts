import {sameData} from '../zone/rrset.js'
import {mxLines, type PlanContext} from './context.js'

/** Findings that must stop planning: the plan's arithmetic or its single SPF record would be wrong. */
const BLOCKING_FINDINGS = new Set(['NS_UNREACHABLE', 'NS_SERIAL_MISMATCH', 'NS_RRSET_MISMATCH', 'SPF_MULTIPLE', 'SPF_SYNTAX', 'MX_NULL_MIXED'])

/**
 * Can the plan be trusted at all? Every authoritative server must answer and
 * agree, the SOA must be known, and the target must differ from today's MX.
 */
export function checkTrust(ctx: PlanContext): void {
  const {observed, domain} = ctx
  const live = observed.nameservers.filter((n) => n.reachable && n.authoritative)
  for (const n of observed.nameservers) {
    if (!n.reachable) ctx.block('NS_UNREACHABLE', `${n.name} (${n.address})`, `${n.name} (${n.address}) does not answer, so the TTL it serves is unknown; fix it or remove it from the NS set, then plan again`)
    else if (!n.authoritative) ctx.block('NS_UNREACHABLE', `${n.name} (${n.address})`, `${n.name} (${n.address}) is not authoritative for ${observed.zone} (${n.error ?? 'lame delegation'}); fix the delegation, then plan again`)
  }
  const serials = new Set(live.map((n) => n.serial))
  if (serials.size > 1) {
    const list = live.map((n) => `${n.name} ${n.serial}`).join(', ')
    ctx.block('NS_SERIAL_MISMATCH', `${observed.zone} SOA`, `the authoritative servers serve different SOA serials (${list}): a secondary is lagging, so it may serve other records and TTLs; wait for the zone transfer (or fix it) and plan again`)
  }
  for (const d of observed.disagreements) {
    if (d.subject === 'SOA serial') continue
    ctx.block('NS_RRSET_MISMATCH', d.subject, `the authoritative servers serve different ${d.subject} RRsets (${d.values.map((v) => `${v.server}: ${v.value}`).join('; ')}); make them agree, then plan again`)
  }
  if (!observed.soa && live.length > 0) ctx.block('NO_SOA', observed.zone, `no SOA for ${observed.zone}: the negative-caching TTL cannot be computed`)
  for (const f of observed.findings) {
    if (BLOCKING_FINDINGS.has(f.code) && !(f.code.startsWith('NS_') && ctx.blockers.some((b) => b.code === f.code))) ctx.block(f.code, f.subject, f.message)
  }

  // What only the admin can supply (a value the provider assigns, a parameter): never guessed.
  for (const p of ctx.target.problems) ctx.block(p.code, p.subject, p.message)
  if (ctx.targetMx.length === 0 && !ctx.target.problems.some((p) => p.subject === `${domain} MX`)) {
    ctx.block('TARGET_MX_UNKNOWN', `${domain} MX`, `the target profile ${ctx.target.profile.id} has no MX value for ${domain}: give target.mx from ${ctx.target.profile.mx.where.replaceAll('DOMAIN', domain)}`)
  }
  if (ctx.oldRecords.some((m) => m.exchange === '.') && ctx.oldRecords.length > 1) {
    ctx.block('MX_NULL_MIXED', `${domain} MX`, `${domain} publishes a null MX beside other MX records (RFC 7505 §3); remove one of them, then plan again`)
  }
  if (ctx.targetMx.length > 0 && sameData({type: 'MX', records: ctx.oldRecords}, {type: 'MX', records: ctx.targetMx})) {
    ctx.block('ALREADY_AT_TARGET', `${domain} MX`, `${domain} MX already points at the target (${mxLines(ctx.targetMx)}): nothing to cut over`)
  }
}
