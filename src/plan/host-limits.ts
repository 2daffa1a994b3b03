import {isPowerDns, POWERDNS_NOTIFY_CYCLE_SECONDS, powerDnsLagReason} from '../dns/identify.js'
import {getHostModule, hostNotes, type HostConfig} from '../hosts/registry.js'
import type {PlanContext} from './context.js'

/**
 * What the DNS host the config names allows and how it makes a change live,
 * applied to the planned steps: a TTL under the host's minimum stops the plan
 * with the value to use; the host's own notes and a primary known to NOTIFY
 * late go to the review. Returns how long each change may take to reach every
 * authoritative server, for the schedule's estimates.
 */
export function applyHostLimits(ctx: PlanContext): {changeLagSeconds: number} {
  const dns = ctx.config.dns as HostConfig
  const host = getHostModule(String(dns.host))
  const min = host.limits.minTtl
  for (const step of ctx.steps) {
    for (const change of step.changes ?? []) {
      if (!change.after || change.after.ttl >= min) continue
      const field = change.type === 'MX' && change.after.ttl === ctx.config.ttl.lowered ? 'ttl.lowered' : change.type === 'MX' && change.after.ttl === ctx.config.ttl.final ? 'ttl.final' : null
      ctx.block(
        'TTL_BELOW_HOST_MINIMUM',
        `${change.name} ${change.type} (${step.id})`,
        `step ${step.id} sets ${change.name} ${change.type} to TTL ${change.after.ttl} s, but the ${host.name} host accepts no TTL under ${min} s: ${field ? `set ${field}: ${min} in the config` : `publish the record at ${min} s or more first`}, then plan again`,
      )
    }
  }
  for (const note of hostNotes(dns)) ctx.notes.push(note.endsWith('.') ? note : `${note}.`)
  return notifyLag(ctx)
}

/**
 * PowerDNS, as a primary, sends NOTIFY only at its next xfr-cycle-interval
 * check: with secondaries of another make, every change reaches them up to a
 * minute after the primary. The run waits for them anyway; the review says so
 * and the schedule counts it.
 */
function notifyLag(ctx: PlanContext): {changeLagSeconds: number} {
  const {observed} = ctx
  const servers = observed.nameservers.filter((n) => n.reachable && n.authoritative)
  const update = observed.updateServer
  const api = (ctx.config.dns as {powerdns?: {url?: string}}).powerdns?.url
  const primary = update && isPowerDns(update.software) ? update.label : (servers.find((n) => isPowerDns(n.software))?.name ?? (ctx.config.dns.host === 'powerdns' && api ? api : undefined))
  const secondaries = servers.filter((n) => n.software !== undefined && !isPowerDns(n.software))
  if (!primary || secondaries.length === 0 || !ctx.steps.some((s) => s.kind === 'dns-change')) return {changeLagSeconds: 0}
  ctx.notes.push(
    `${powerDnsLagReason(primary)}: ${secondaries.map((n) => n.name).join(', ')} may serve each change up to ${POWERDNS_NOTIFY_CYCLE_SECONDS} s after it is made (set xfr-cycle-interval lower on the primary to shorten it); each change step waits for them, and the estimated times count it.`,
  )
  return {changeLagSeconds: POWERDNS_NOTIFY_CYCLE_SECONDS}
}
