import {resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {createDnsClient} from '../dns/client.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsSettings} from '../dns/settings.js'
import {dnsFlags} from '../lib/flags.js'
import {configDomains, loadConfig} from '../plan/config.js'
import {isPlanPath, readPlanState} from '../state/file.js'
import {rehearse, startingStateFromPlan, startingStateLive} from '../sandbox/rehearse.js'
import {renderReport, type RehearsalReport} from '../sandbox/report.js'

export default class Rehearse extends MxcutCommand {
  static override summary = 'Run a whole cutover against the sandbox, with simulated time, before the change window.'

  static override description = `Loads the domain's mail records into an in-process sandbox on loopback (a primary and a lagging secondary, and caching resolvers: one well-behaved, one clamping TTLs, one slow, one lossy, one asking the secondary first), then runs every step of the plan through the real runner with --yes answers on a simulated clock, so a day-long wait takes seconds. Simulated senders deliver a message through each resolver every simulated minute and count where it lands.

With a CONFIG the records are read live from the domain's authoritative servers (as mxcut plan reads them) and the plan is made against the sandbox; with a PLAN the records it observed are used and its steps are run from the start. DNS changes go to the sandbox only, whatever the config's dns.host says.

Ends with a report: simulated duration, when each resolver served the new MX, mail per host and any message that reached a host not ready for it, and the final state. Exit 0 when the rehearsal completed with no problem, 1 when it found one.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --json',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml --secondary-lag 300',
  ]

  static override args = {
    file: Args.string({description: 'A config (YAML) or a plan state file (*.plan.json).', required: true}),
  }

  static override flags = {
    'secondary-lag': Flags.integer({description: 'Simulated seconds between a change on the primary and the secondary serving it.', default: 30, min: 0, max: 86400}),
    ...dnsFlags,
  }

  async run(): Promise<{rehearsals: RehearsalReport[]}> {
    const {args, flags} = await this.parse(Rehearse)
    const path = resolve(args.file)
    const write = (line: string) => {
      if (!this.jsonEnabled()) this.log(line)
    }
    const common = {secondaryLagMs: flags['secondary-lag'] * 1000, write, commandLine: `mxcut rehearse ${args.file}`}
    const reports: RehearsalReport[] = []
    if (await isPlanPath(path)) {
      const plan = await readPlanState(path)
      write(`Rehearsing plan ${plan.id} of ${plan.domain} from its first step, against the sandbox (simulated time)`)
      const {report} = await rehearse({...common, start: startingStateFromPlan(plan), source: {kind: 'plan', plan}})
      write(renderReport(report))
      reports.push(report)
    } else {
      const config = await loadConfig(path)
      const settings = dnsSettings(flags, {resolvers: config.resolvers, nameservers: config.dns.nameservers})
      const client = createDnsClient({timeoutMs: settings.timeoutMs})
      for (const entry of configDomains(config)) {
        write(`Reading today's mail records of ${entry.name} from its authoritative servers…`)
        const start = await startingStateLive(config, entry.name, {...settings, client})
        write(`Rehearsing the cutover of ${entry.name} against the sandbox (simulated time)`)
        const {report} = await rehearse({...common, start, source: {kind: 'config', config, domain: entry.name, configPath: path}})
        write(renderReport(report))
        reports.push(report)
      }
    }
    if (reports.some((r) => r.outcome !== 'done' || r.problems.length > 0)) process.exitCode = 1
    return {rehearsals: reports}
  }
}
