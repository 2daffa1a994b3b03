import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags, notifyFlag} from '../lib/flags.js'
import {executeRollback, type RunCommandResult} from '../run/execute.js'

export default class Rollback extends MxcutCommand {
  static override summary = 'Restore the original MX recorded in the plan, verify it, then restore its TTL.'

  static override description = `Runs the rollback the plan stores, exactly as the Markdown review (mxcut plan --format md) shows it: the procedure for the furthest step the run reached, once live DNS confirms where it is. It puts the original MX back at the TTL the cutover ran at (so caches pick it up within that TTL), waits until every authoritative server serves it with one SOA serial, verifies that every resolver serves it, and only then restores the original TTL. Each step is idempotent: after an interruption, run it again and it continues where it stopped (status and resume point here too). If live DNS holds an MX the plan never set, someone else changed it: the rollback stops (exit 1) and changes nothing. Refuses when the plan has not changed anything yet. Companion records (verification TXT, SPF include, DKIM, autodiscover) are left in place; the review lists them for removal by hand.`

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
