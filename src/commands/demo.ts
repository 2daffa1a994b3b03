import {Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {configDomains, loadConfig} from '../plan/config.js'
import {DEMO_CONFIG, demoStartingState} from '../sandbox/demo.js'
import {rehearse} from '../sandbox/rehearse.js'
import {renderReport, type RehearsalReport} from '../sandbox/report.js'

export default class Demo extends MxcutCommand {
  static override summary = 'Rehearse the bundled example cutover (a fictional company moving to Microsoft 365) in the sandbox.'

  static override description = `Needs no DNS server, no domain and no network: the example company's DNS is loaded into the in-process sandbox on loopback, the plan is made from what the sandbox serves (exactly as mxcut plan reads live DNS), and every step runs through the real runner on a simulated clock, so the hour-long wait takes a moment. Shows each step as a real run prints it, then when each resolver picked up the new MX, where the simulated senders' mail went, and the final records.

The config is plans/examples/tailspin-toys.yaml and the company's DNS today is plans/examples/tailspin-toys.zone: mxcut rehearse plans/examples/tailspin-toys.yaml --zone plans/examples/tailspin-toys.zone runs the same. Run it on your own config with mxcut rehearse.`

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  static override flags = {
    'secondary-lag': Flags.integer({description: 'Simulated seconds between a change on the primary and the secondary serving it.', default: 30, min: 0, max: 86400}),
  }

  async run(): Promise<{rehearsals: RehearsalReport[]}> {
    const {flags} = await this.parse(Demo)
    const write = (line: string) => {
      if (!this.jsonEnabled()) this.log(line)
    }
    const config = await loadConfig(DEMO_CONFIG)
    const reports: RehearsalReport[] = []
    for (const entry of configDomains(config)) {
      const start = await demoStartingState(entry.name)
      write(`mxcut demo: ${entry.name} moves its mail to Microsoft 365, rehearsed in the sandbox on loopback (simulated time; nothing leaves this machine)`)
      const {report} = await rehearse({
        start,
        source: {kind: 'config', config, domain: entry.name, configPath: DEMO_CONFIG},
        secondaryLagMs: flags['secondary-lag'] * 1000,
        write,
        commandLine: 'mxcut demo',
      })
      write(renderReport(report))
      reports.push(report)
    }
    if (reports.some((r) => r.outcome !== 'done' || r.problems.length > 0)) process.exitCode = 1
    return {rehearsals: reports}
  }
}
