import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {UserError} from '../lib/errors.js'
import {dnsFlags, notifyFlag} from '../lib/flags.js'
import {executeRun, type RunCommandResult} from '../run/execute.js'
import type {FleetResumeResult} from '../run/fleet.js'
import {isDirectory} from '../state/file.js'

export default class Resume extends MxcutCommand {
  static override summary = 'Continue a paused or interrupted plan after checking live DNS for drift; or every due plan under a directory.'

  static override description = `First checks that every RRset the finished steps set is still what they left, on every authoritative server (drift: exit 1, nothing changed), and explains from the journal any change a stopped run may have had in flight. Then continues like mxcut run. With --if-due it exits 0 at once when the next step is not due yet, so cron, a systemd timer or a CI schedule can call it every few minutes; a plan a person paused at a checkpoint, or whose step failed, is left for a person (exit 1).

Given a directory (with --if-due), resumes every due plan under it in this one process, each under its own lock, a few at a time; each stops at its next wait (as with --detach) and one failing never stops the others. Plans never started are left alone (start them with mxcut run). Ends with a summary line; exit 1 when any plan needs attention.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --yes --if-due',
    '<%= config.bin %> <%= command.id %> plans/ --if-due --yes --notify "mail -s mxcut admin@contoso.com"',
    '<%= config.bin %> <%= command.id %> plans/ --if-due --notify env:SLACK_WEBHOOK_URL  # stops at each checkpoint and tells you',
  ]

  static override args = {
    plan: Args.string({description: 'Plan state file written by mxcut plan, or a directory of them (with --if-due).', required: true}),
  }

  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Answer every checkpoint with "continue" (unattended runs).'}),
    'if-due': Flags.boolean({description: 'Exit 0 at once, doing nothing, when the next step is not due yet (or another process is running the plan).'}),
    until: Flags.string({description: 'Stop after this step.'}),
    detach: Flags.boolean({description: 'At a wait that is not over, exit at once and print when to resume.'}),
    digest: Flags.string({description: 'Refuse the plan (exit 2, nothing done) unless its digest is this one: the digest mxcut plan printed and the reviewer approved (the 12 hex digits reviews show, all 64, or any prefix of at least 8).'}),
    concurrency: Flags.integer({description: 'With a directory: plans run at once.', default: 4, min: 1, max: 64}),
    ...notifyFlag,
    ...dnsFlags,
  }

  async run(): Promise<RunCommandResult | FleetResumeResult['json']> {
    const {args, flags} = await this.parse(Resume)
    const common = {yes: flags.yes, bin: this.config.bin, json: this.jsonEnabled(), dns: flags, ...(flags.notify ? {notify: flags.notify} : {})}
    if (await isDirectory(args.plan)) {
      if (!flags['if-due']) throw new UserError(`${args.plan} is a directory: add --if-due to resume every plan under it that is due (mxcut resume ${args.plan} --if-due --yes)`)
      if (flags.until) throw new UserError('--until names a step of one plan; give the plan file, not a directory')
      if (flags.digest) throw new UserError('--digest names the approved digest of one plan; give the plan file, not a directory')
      const {fleetResume} = await import('../run/fleet.js')
      const result = await fleetResume(args.plan, {...common, concurrency: flags.concurrency, log: (line) => this.log(line)})
      if (!this.jsonEnabled()) this.log(result.text)
      process.exitCode = result.exitCode
      return result.json
    }
    const result = await executeRun(args.plan, {...common, mode: 'resume', ifDue: flags['if-due'], until: flags.until, detach: flags.detach, digest: flags.digest})
    if (!this.jsonEnabled()) this.log(result.text)
    process.exitCode = result.exitCode
    return result.json
  }
}
