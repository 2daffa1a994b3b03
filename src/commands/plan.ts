import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags} from '../lib/flags.js'
import type {MadePlans} from '../plan/make.js'

export default class Plan extends MxcutCommand {
  static override summary = 'Read live DNS and write a reviewable cutover plan; changes no DNS.'

  static override description = `Reads the domain's mail records from every authoritative server (RD=0, the TTLs as configured), runs the audit, and computes the steps of the cutover: the records published early, the TTL lowering, the wait of the old MX TTL plus margin, the swap, verification, checkpoints, rollback. Writes the plan state file atomically with mode 0600 (default plans/DOMAIN.plan.json; one per domain with domains:) and prints the review.

A plan is refused (exit 1, no file written) when the authoritative servers disagree (a lagging secondary), when one does not answer, or when the merged SPF record would exceed 10 DNS lookups.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml --format md > change-ticket.md',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml --out /tmp/contoso.plan.json --nameserver 192.0.2.53',
    '<%= config.bin %> <%= command.id %> plans/tenant.yaml --out plans/  # several domains: one file each',
    '<%= config.bin %> <%= command.id %> plans/examples/tailspin-toys.yaml --zone plans/examples/tailspin-toys.zone --format md  # offline, before anyone has access',
  ]

  static override args = {
    config: Args.string({description: 'Cutover config (YAML, see mxcut schema).', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'Plan file to write (default plans/DOMAIN.plan.json); a directory when the config has several domains.'}),
    format: Flags.string({char: 'f', description: 'Review format.', options: ['text', 'md', 'json'], default: 'text'}),
    force: Flags.boolean({description: 'Replace a plan file even when its run has started.'}),
    audit: Flags.boolean({description: 'Run the audit and fold its findings into the plan.', default: true, allowNo: true}),
    zone: Flags.string({
      char: 'z',
      description: 'Plan from this zone file instead of live DNS (BIND master file, octoDNS YAML, or `dnscontrol get-zones --format=zone`); one per domain of the config, in its order. No audit runs; the run still reads live DNS before every change.',
      multiple: true,
    }),
    smtp: Flags.boolean({description: "Probe every MX host, today's and the target's, during the audit, and again at the pre-flight (port 25 is often blocked from admin networks; the run probes the target right before the swap in any case)."}),
    'mta-sts-port': Flags.integer({description: 'Port of the MTA-STS policy host (tests).', hidden: true}),
    ...dnsFlags,
  }

  async run(): Promise<MadePlans['json']> {
    const {args, flags} = await this.parse(Plan)
    const {makePlans} = await import('../plan/make.js')
    const made = await makePlans({
      configPath: args.config,
      out: flags.out,
      format: flags.format === 'md' || flags.format === 'json' ? flags.format : 'text',
      force: flags.force,
      audit: {audit: flags.audit, smtp: flags.smtp === true, ...(flags['mta-sts-port'] ? {httpsPort: flags['mta-sts-port']} : {})},
      dns: flags,
      ...(flags.zone ? {zones: flags.zone} : {}),
    })
    if (!this.jsonEnabled()) this.log(made.review)
    if (made.refusal) {
      process.exitCode = 1
      if (!this.jsonEnabled()) process.stderr.write(`mxcut: ${made.refusal}\n`)
    }
    return made.json
  }
}
