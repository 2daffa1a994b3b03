import {Args, Flags} from '@oclif/core'
import {resolve} from 'node:path'
import type {LookupCache} from '../audit/lookup.js'
import {createDnsClient} from '../dns/client.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsSettings} from '../dns/settings.js'
import {dnsFlags} from '../lib/flags.js'
import {configDomains, loadConfig} from '../plan/config.js'
import {planDomain} from '../plan/pipeline.js'
import {toPlanState} from '../plan/plan-file.js'
import {assertReplaceable, defaultPlanPath, writePlanFile} from '../state/file.js'
import {planJson, renderMarkdown, renderText} from '../plan/render.js'

export default class Plan extends MxcutCommand {
  static override summary = 'Read live DNS and write a reviewable cutover plan; changes no DNS.'

  static override description = `Reads the domain's mail records from every authoritative server (RD=0, the TTLs as configured), runs the audit, and computes the steps of the cutover: the records published early, the TTL lowering, the wait of the old MX TTL plus margin, the swap, verification, checkpoints, rollback. Writes the plan state file atomically with mode 0600 (default plans/DOMAIN.plan.json; one per domain with domains:) and prints the review.

A plan is refused (exit 1, no file written) when the authoritative servers disagree (a lagging secondary), when one does not answer, or when the merged SPF record would exceed 10 DNS lookups.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml --format md > change-ticket.md',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.yaml --out /tmp/contoso.plan.json --nameserver 192.0.2.53',
    '<%= config.bin %> <%= command.id %> plans/tenant.yaml --out plans/  # several domains: one file each',
  ]

  static override args = {
    config: Args.string({description: 'Cutover config (YAML, see mxcut schema).', required: true}),
  }

  static override flags = {
    out: Flags.string({char: 'o', description: 'Plan file to write (default plans/DOMAIN.plan.json); a directory when the config has several domains.'}),
    format: Flags.string({char: 'f', description: 'Review format.', options: ['text', 'md', 'json'], default: 'text'}),
    force: Flags.boolean({description: 'Replace a plan file even when its run has started.'}),
    audit: Flags.boolean({description: 'Run the audit and fold its findings into the plan.', default: true, allowNo: true}),
    smtp: Flags.boolean({description: "Probe the target's SMTP servers during the audit (port 25 is often blocked from admin networks; the run probes again)."}),
    'mta-sts-port': Flags.integer({description: 'Port of the MTA-STS policy host (tests).', hidden: true}),
    ...dnsFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Plan)
    const config = await loadConfig(args.config)
    const settings = dnsSettings(flags, {resolvers: config.resolvers, nameservers: config.dns.nameservers})
    const client = createDnsClient({timeoutMs: settings.timeoutMs})
    const domains = configDomains(config)
    const several = domains.length > 1
    const cache: LookupCache = new Map()
    const results: Array<Record<string, unknown>> = []
    const reviews: string[] = []
    let refused = 0
    const audit = {audit: flags.audit, smtp: flags.smtp === true, ...(flags['mta-sts-port'] ? {httpsPort: flags['mta-sts-port']} : {})}
    for (const entry of domains) {
      const now = new Date()
      const plan = await planDomain(entry.name, config, {...settings, client, cache, now: () => now, audit})
      let planFile: string | null = null
      if (plan.blockers.length === 0) {
        planFile = flags.out ? (several ? defaultPlanPath(entry.name, flags.out) : flags.out) : defaultPlanPath(entry.name)
        if (!flags.force) await assertReplaceable(planFile)
        // The servers used now are the ones the run must read too (a lab, a split-horizon network).
        const effective = {
          ...config,
          dns: {...config.dns, nameservers: flags.nameserver ?? config.dns.nameservers},
          ...(flags.resolver ? {resolvers: flags.resolver} : {}),
        }
        await writePlanFile(planFile, toPlanState(plan, effective, resolve(args.config), audit))
      } else {
        refused++
      }
      const renderOptions = {planFile, now}
      results.push(planJson(plan, renderOptions))
      if (flags.format === 'md') reviews.push(renderMarkdown(plan, renderOptions))
      else if (flags.format === 'text') reviews.push(renderText(plan, renderOptions))
    }
    const output = {plans: results, refused}
    if (!this.jsonEnabled()) {
      if (flags.format === 'json') this.log(JSON.stringify(output, null, 2))
      else this.log(reviews.join(flags.format === 'md' ? '\n---\n\n' : '\n\n'))
    }
    if (refused > 0) {
      process.exitCode = 1
      if (!this.jsonEnabled()) process.stderr.write(`mxcut: ${refused === domains.length ? 'plan refused' : `${refused} of ${domains.length} plans refused`}: ${results.flatMap((r) => (r.blockers as Array<{code: string}>).map((b) => b.code)).join(', ')} (see the review)\n`)
    }
    return output
  }
}
