import {resolve} from 'node:path'
import {createDnsClient} from '../dns/client.js'
import {dnsSettings, type DnsFlagValues} from '../dns/settings.js'
import {UserError} from '../lib/errors.js'
import {configDomains, loadConfig} from '../plan/config.js'
import {isPlanPath, readPlanState} from '../state/file.js'
import {loadZoneFile} from '../zone/load-zone.js'
import {startingStateFromZone, type StartingState} from './demo.js'
import {rehearse, startingStateFromPlan, startingStateLive} from './rehearse.js'
import {renderReport, type RehearsalReport} from './report.js'

export interface RehearseCommandOptions {
  /** A config (YAML) or a plan state file. */
  file: string
  /** Zone files to start from instead of live DNS: one per domain of the config, in its order. */
  zones?: string[]
  secondaryLagMs: number
  dns: DnsFlagValues
  write: (line: string) => void
}

/**
 * `mxcut rehearse`: a plan from its observed records, or a config from live
 * DNS or from zone files (--zone: nothing leaves the machine), rehearsed in
 * the sandbox; exit 1 when a rehearsal did not complete cleanly.
 */
export async function runRehearseCommand(o: RehearseCommandOptions): Promise<{rehearsals: RehearsalReport[]; exitCode: number}> {
  const path = resolve(o.file)
  const common = {secondaryLagMs: o.secondaryLagMs, write: o.write, commandLine: `mxcut rehearse ${o.file}`}
  const reports: RehearsalReport[] = []
  if (await isPlanPath(path)) {
    if (o.zones) throw new UserError('--zone is for a config: a plan rehearses from the records it observed')
    const plan = await readPlanState(path)
    o.write(`Rehearsing plan ${plan.id} of ${plan.domain} from its first step, against the sandbox (simulated time)`)
    reports.push((await rehearse({...common, start: startingStateFromPlan(plan), source: {kind: 'plan', plan}})).report)
    o.write(renderReport(reports[0]))
  } else {
    const config = await loadConfig(path)
    const domains = configDomains(config)
    if (o.zones && o.zones.length !== domains.length) {
      throw new UserError(`--zone given ${o.zones.length} time${o.zones.length === 1 ? '' : 's'} for ${domains.length} domains: give one zone file per domain of the config, in its order (${domains.map((d) => d.name).join(', ')})`)
    }
    let live: ((domain: string) => Promise<StartingState>) | null = null
    if (!o.zones) {
      const settings = dnsSettings(o.dns, {resolvers: config.resolvers, nameservers: config.dns.nameservers})
      const client = createDnsClient({timeoutMs: settings.timeoutMs})
      live = (domain) => startingStateLive(config, domain, {...settings, client})
    }
    for (const [i, entry] of domains.entries()) {
      const zoneFile = o.zones?.[i]
      o.write(zoneFile ? `Reading today's records of ${entry.name} from the zone file ${zoneFile} (offline)…` : `Reading today's mail records of ${entry.name} from its authoritative servers…`)
      const start = zoneFile ? startingStateFromZone(await loadZoneFile(zoneFile, entry.name)) : await (live as (d: string) => Promise<StartingState>)(entry.name)
      o.write(`Rehearsing the cutover of ${entry.name} against the sandbox (simulated time)`)
      const {report} = await rehearse({...common, start, source: {kind: 'config', config, domain: entry.name, configPath: path}})
      o.write(renderReport(report))
      reports.push(report)
    }
  }
  return {rehearsals: reports, exitCode: reports.some((r) => r.outcome !== 'done' || r.problems.length > 0) ? 1 : 0}
}
