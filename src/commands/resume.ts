import {Args, Flags} from '@oclif/core'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags} from '../lib/flags.js'
import {executeRun, type RunCommandResult} from '../run/execute.js'

export default class Resume extends MxcutCommand {
  static override summary = 'Continue a paused or interrupted plan after checking live DNS for drift.'

  static override description = `First checks that every RRset the finished steps set is still what they left, on every authoritative server (drift: exit 1, nothing changed), and explains from the journal any change a stopped run may have had in flight. Then continues like mxcut run. With --if-due it exits 0 at once when the next step is not due yet, so cron, a systemd timer or a CI schedule can call it every few minutes.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --yes --if-due',
  ]

  static override args = {
    plan: Args.string({description: 'Plan state file written by mxcut plan.', required: true}),
  }

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Answer every checkpoint with "continue" (unattended runs).'}),
    'if-due': Flags.boolean({description: 'Exit 0 at once, doing nothing, when the next step is not due yet (or another process is running the plan).'}),
    until: Flags.string({description: 'Stop after this step.'}),
    detach: Flags.boolean({description: 'At a wait that is not over, exit at once and print when to resume.'}),
    digest: Flags.string({description: 'Refuse the plan (exit 2, nothing done) unless its digest is this one: the digest mxcut plan printed and the reviewer approved (the 12 hex digits reviews show, all 64, or any prefix of at least 8).'}),
    ...dnsFlags,
  }

  async run(): Promise<RunCommandResult> {
    const {args, flags} = await this.parse(Resume)
    const result = await executeRun(args.plan, {mode: 'resume', yes: flags.yes, ifDue: flags['if-due'], until: flags.until, detach: flags.detach, bin: this.config.bin, digest: flags.digest, json: this.jsonEnabled(), dns: flags})
    if (!this.jsonEnabled()) this.log(result.text)
    process.exitCode = result.exitCode
    return result.json
  }
}
