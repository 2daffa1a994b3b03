import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags} from '../lib/flags.js'
import type {RehearsalReport} from '../sandbox/report.js'

export default class Rehearse extends MxcutCommand {
  static override summary = 'Run a whole cutover against the sandbox, with simulated time, before the change window.'

  static override description = `Loads the domain's mail records into an in-process sandbox on loopback (a primary and a lagging secondary, and caching resolvers: one well-behaved, one clamping TTLs, one slow, one lossy, one asking the secondary first), then runs every step of the plan through the real runner with --yes answers on a simulated clock, so a day-long wait takes seconds. Simulated senders deliver a message through each resolver every simulated minute and count where it lands.

With a CONFIG the records are read live from the domain's authoritative servers (as mxcut plan reads them), or from a zone file with --zone (nothing leaves the machine: review and rehearse a cutover before anyone has access to the DNS), and the plan is made against the sandbox; with a PLAN the records it observed are used and its steps are run from the start. DNS changes go to the sandbox only, whatever the config's dns.host says.

Ends with a report: simulated duration, when each resolver served the new MX, mail per host and any message that reached a host not ready for it, and the final state. Exit 0 when the rehearsal completed with no problem, 1 when it found one.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml',
    '<%= config.bin %> <%= command.id %> plans/examples/tailspin-toys.yaml --zone plans/examples/tailspin-toys.zone',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --json',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml --secondary-lag 300',
  ]

  static override args = {
    file: Args.string({description: 'A config (YAML) or a plan state file (*.plan.json).', required: true}),
  }

  static override flags = {
    'secondary-lag': Flags.integer({description: 'Simulated seconds between a change on the primary and the secondary serving it.', default: 30, min: 0, max: 86400}),
    zone: Flags.string({
      char: 'z',
      description: "Start from this zone file instead of live DNS (BIND master file, octoDNS YAML, or `dnscontrol get-zones --format=zone`); one per domain of the config, in its order.",
      multiple: true,
    }),
    ...dnsFlags,
  }

  async run(): Promise<{rehearsals: RehearsalReport[]}> {
    const {args, flags} = await this.parse(Rehearse)
    const {runRehearseCommand} = await import('../sandbox/rehearse-command.js')
    const result = await runRehearseCommand({
      file: args.file,
      ...(flags.zone ? {zones: flags.zone} : {}),
      secondaryLagMs: flags['secondary-lag'] * 1000,
      dns: flags,
      write: (line) => {
        if (!this.jsonEnabled()) this.log(line)
      },
    })
    process.exitCode = result.exitCode
    return {rehearsals: result.rehearsals}
  }
}
