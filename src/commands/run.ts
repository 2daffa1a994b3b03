import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags, notifyFlag} from '../lib/flags.js'
import {executeRun, type RunCommandResult} from '../run/execute.js'

export default class Run extends MxcutCommand {
  static override summary = 'Carry out a plan from its next pending step, with checkpoints.'

  static override description = `Before each DNS change mxcut reads the RRsets it touches from every authoritative server (RD=0): if they already show the change it is recorded as done, if they show the state the plan expects it is made, and anything else is drift: the run stops (exit 1) and changes nothing. After a change it waits until every authoritative server serves it with one SOA serial. Waits show a countdown and never end early; Ctrl-C pauses. Checkpoints ask what to do next; without a terminal they need --yes. The plan file is rewritten atomically after every transition, every intent and outcome goes to the journal beside it, and a lock keeps a second run out. A plan edited by hand so that it no longer hangs together, or no longer matches the digest mxcut plan recorded, is refused; with --digest only the approved plan runs.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --until lower-ttl',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --yes --detach',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --digest 3f2a9c41d07e  # only the plan the change ticket approved',
  ]

  static override args = {
    plan: Args.string({description: 'Plan state file written by mxcut plan.', required: true}),
  }

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Answer every checkpoint with "continue" (unattended runs).'}),
    until: Flags.string({description: 'Stop after this step (its id, as mxcut status lists them).'}),
    detach: Flags.boolean({description: 'At a wait that is not over, exit at once and print the resume command and when to run it.'}),
    digest: Flags.string({description: 'Refuse the plan (exit 2, nothing done) unless its digest is this one: the digest mxcut plan printed and the reviewer approved (the 12 hex digits reviews show, all 64, or any prefix of at least 8).'}),
    ...notifyFlag,
    ...dnsFlags,
  }

  async run(): Promise<RunCommandResult> {
    const {args, flags} = await this.parse(Run)
    const result = await executeRun(args.plan, {mode: 'run', yes: flags.yes, until: flags.until, detach: flags.detach, bin: this.config.bin, digest: flags.digest, json: this.jsonEnabled(), dns: flags, ...(flags.notify ? {notify: flags.notify} : {})})
    if (!this.jsonEnabled()) this.log(result.text)
    process.exitCode = result.exitCode
    return result.json
  }
}
