import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags, notifyFlag} from '../lib/flags.js'
import {executeRollback, type RunCommandResult} from '../run/execute.js'

export default class Rollback extends MxcutCommand {
  static override summary = 'Restore the original MX recorded in the plan, verify it, then restore its TTL.'

  static override description = `Puts back the MX RRset the plan observed before the cutover, first at the lowered TTL (so caches pick it up within that TTL), waits until every authoritative server serves it with one SOA serial, then sets the original TTL. Each half is idempotent: run it again after an interruption. If live DNS holds an MX the plan never set, someone else changed it: the rollback stops (exit 1) and changes nothing. Refuses when the plan has not changed anything yet. Companion records (verification TXT, SPF include, autodiscover) are left in place.`

  static override examples = ['<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json', '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --yes']

  static override args = {
    plan: Args.string({description: 'Plan state file written by mxcut plan.', required: true}),
  }

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Roll back without asking.'}),
    ...notifyFlag,
    ...dnsFlags,
  }

  async run(): Promise<RunCommandResult> {
    const {args, flags} = await this.parse(Rollback)
    const result = await executeRollback(args.plan, {yes: flags.yes, bin: this.config.bin, json: this.jsonEnabled(), dns: flags, ...(flags.notify ? {notify: flags.notify} : {})})
    if (!this.jsonEnabled()) this.log(result.text)
    process.exitCode = result.exitCode
    return result.json
  }
}
