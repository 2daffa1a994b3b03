import {Args} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {fleetStatus, fleetStatusText, type FleetStatus} from '../run/fleet.js'
import {statusText} from '../run/report.js'
import {statusOf, type StatusReport} from '../run/status.js'
import {isDirectory} from '../state/file.js'

export default class Status extends MxcutCommand {
  static override summary = "A plan's state: each step, the next one and when it is due; or every plan under a directory."

  static override description = `Reads the plan state file and its lock; changes nothing and reads no DNS. State is planned, running (a live process holds the lock), waiting (the next step is not due yet), paused, done, failed or rolled-back.

Given a directory, lists every plan under it (domain, state, next step, when it is due, whether it needs a person) in one table, or as {plans:[{path, domain, state, next:{id, due}, needsPerson}]} with --json. Exit status 1 when any plan needs a person.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --json',
    '<%= config.bin %> <%= command.id %> plans/  # every plan of a tenant or a customer',
  ]

  static override args = {
    plan: Args.string({description: 'Plan state file written by mxcut plan, or a directory of them.', required: true}),
  }

  async run(): Promise<StatusReport | FleetStatus> {
    const {args} = await this.parse(Status)
    if (await isDirectory(args.plan)) {
      const fleet = await fleetStatus(args.plan, this.config.bin)
      if (!this.jsonEnabled()) this.log(fleetStatusText(fleet, Date.now()))
      if (fleet.plans.some((p) => p.needsPerson)) process.exitCode = 1
      return fleet
    }
    const report = await statusOf(args.plan, this.config.bin)
    if (!this.jsonEnabled()) this.log(statusText(report, Date.now()))
    return report
  }
}
