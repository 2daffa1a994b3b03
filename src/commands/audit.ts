import {Args, Flags} from '@oclif/core'
import {auditDomains, type AuditOptions, type BatchResult} from '../audit/audit.js'
import {summarize} from '../audit/codes.js'
import {renderAudit, renderBatchLine} from '../audit/render.js'
import type {AuditReport} from '../audit/types.js'
import {createDnsClient} from '../dns/client.js'
import {parseDomain} from '../dns/names.js'
import {MxcutCommand} from '../lib/command.js'
import {UserError} from '../lib/errors.js'
import {dnsSettings} from '../dns/settings.js'
import {dnsFlags} from '../lib/flags.js'
import {auditTarget, configDomains, loadConfig, type Config} from '../plan/config.js'
import {getProfile} from '../profiles/index.js'

export interface AuditBatchJson {
  domains: AuditReport[]
  failed: Array<{domain: string; error: string}>
  summary: {error: number; warning: number; info: number}
}

export default class Audit extends MxcutCommand {
  static override summary = 'Pre-flight checks for a cutover: every finding that could lose mail, with what to do.'

  static override description = `Reads the domain's mail DNS from every authoritative server and checks MX, name servers, SPF (lookups counted through includes, today and after the target's include is added), DMARC, MTA-STS and DANE. With --to (or a config), also checks what the target provider needs: verification TXT, DKIM, autodiscover, that its MX hosts resolve, and that they accept RCPT TO:<postmaster@DOMAIN> (an SMTP probe that never sends DATA).

Exit status: 0 when no finding has severity error, 1 when some do, 2 on bad input or when a domain could not be audited at all. Several domains may be given; they are audited --concurrency at a time.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> contoso.com --to microsoft365',
    '<%= config.bin %> <%= command.id %> contoso.com --to google-workspace --no-smtp --json',
    '<%= config.bin %> <%= command.id %> --config plans/contoso.com.yaml',
    '<%= config.bin %> <%= command.id %> contoso.com fabrikam.com --to microsoft365 --resolver 1.1.1.1 --concurrency 16',
  ]

  static override strict = false

  static override args = {
    domain: Args.string({description: 'Domain(s) to audit (IDN accepted); optional with --config.'}),
  }

  static override flags = {
    to: Flags.string({description: 'Target provider profile: microsoft365, google-workspace or custom (see: mxcut profiles). Overrides the config.'}),
    config: Flags.string({char: 'c', description: "Cutover config (YAML): target profile, the tenant's MX, verification TXT, resolvers."}),
    smtp: Flags.boolean({description: 'Probe port 25 of each target MX (EHLO, MAIL FROM:<>, RCPT TO:<postmaster@DOMAIN>, QUIT; never DATA). --no-smtp skips it.', default: true, allowNo: true}),
    'smtp-port': Flags.integer({description: 'Port of the SMTP probe (25 in real use).', default: 25, min: 1, max: 65535}),
    'probe-timeout': Flags.integer({description: 'Milliseconds to wait for each SMTP reply and for the MTA-STS policy.', default: 10000, min: 100, max: 300000}),
    'mta-sts-port': Flags.integer({description: 'Port of the MTA-STS policy host (443 in real use).', default: 443, min: 1, max: 65535, hidden: true}),
    concurrency: Flags.integer({description: 'Domains audited at once.', default: 8, min: 1, max: 256}),
    ...dnsFlags,
  }

  async run(): Promise<AuditReport | AuditBatchJson> {
    const {argv, flags} = await this.parse(Audit)
    const config: Config | null = flags.config ? await loadConfig(flags.config) : null
    const fromArgs = (argv as string[]).map((d) => parseDomain(d))
    const domains = fromArgs.length > 0 ? fromArgs : config ? configDomains(config).map((d) => d.name) : []
    if (domains.length === 0) throw new UserError('give the domain to audit (mxcut audit contoso.com) or a config with --config FILE')
    const unique = [...new Set(domains)]

    const profileId = flags.to ?? config?.target.profile
    const profile = profileId ? getProfile(profileId) : null
    if (profile?.id === 'custom' && !config) {
      throw new UserError('the custom profile takes its MX from a config: give --config FILE with target.mx (see: mxcut profiles)')
    }
    const settings = dnsSettings(flags, {resolvers: config?.resolvers, nameservers: config?.dns.nameservers})
    const source = config && config.source.profile !== 'auto' ? getProfile(config.source.profile) : undefined
    const client = createDnsClient({timeoutMs: settings.timeoutMs})
    const base: Omit<AuditOptions, 'target'> = {
      client,
      ...settings,
      ...(source !== undefined ? {source} : {}),
      smtp: flags.smtp,
      smtpPort: flags['smtp-port'],
      probeTimeoutMs: flags['probe-timeout'],
      httpsPort: flags['mta-sts-port'],
    }
    const results: BatchResult[] = await auditDomains(unique, {
      ...base,
      concurrency: flags.concurrency,
      targetFor: (domain: string) => {
        if (!profile) return null
        // The config's per-domain values apply only when it names the same provider.
        if (!config || getProfile(config.target.profile).id !== profile.id) return {profile}
        const t = auditTarget(config, domain)
        return {profile, overrides: {...(t.mx ? {mx: t.mx} : {}), ...(t.verification ? {verification: t.verification} : {}), ...(t.spfInclude ? {spfInclude: t.spfInclude} : {})}}
      },
    })

    if (unique.length === 1) {
      const only = results[0]
      if (!only.ok) throw new UserError(only.error)
      if (!this.jsonEnabled()) this.log(renderAudit(only.audit))
      if (only.audit.report.summary.error > 0) process.exitCode = 1
      return only.audit.report
    }

    const reports = results.flatMap((r) => (r.ok ? [r.audit.report] : []))
    const failed = results.flatMap((r) => (r.ok ? [] : [{domain: r.domain, error: r.error}]))
    const summary = summarize(reports.flatMap((r) => r.findings))
    if (!this.jsonEnabled()) {
      for (const r of results) {
        if (r.ok) {
          this.log(renderAudit(r.audit))
          this.log('')
        }
      }
      for (const r of results) this.log(renderBatchLine(r.domain, r.ok ? r.audit.report.summary : null, r.ok ? undefined : r.error))
    }
    process.exitCode = failed.length > 0 ? 2 : summary.error > 0 ? 1 : 0
    return {domains: reports, failed, summary}
  }
}
