import {Args} from '@oclif/core'
import {MxcutCommand} from '../lib/command.js'
import {statusOf, statusText} from '../run/execute.js'
import type {StatusReport} from '../run/status.js'

export default class Status extends MxcutCommand {
  static override summary = "A plan's state: each step, the next one and when it is due."

  static override description = `Reads the plan state file and its lock; changes nothing and reads no DNS. State is planned, running (a live process holds the lock), waiting (the next step is not due yet), paused, done, failed or rolled-back.`

  static override examples = ['<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json', '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --json']

  static override args = {
    plan: Args.string({description: 'Plan state file written by mxcut plan.', required: true}),
  }

  async run(): Promise<StatusReport> {
    const {args} = await this.parse(Status)
    const report = await statusOf(args.plan, this.config.bin)
    if (!this.jsonEnabled()) this.log(statusText(report, Date.now()))
    return report
  }
}
