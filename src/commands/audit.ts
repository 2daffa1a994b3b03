import {Args, Flags} from '../lib/oclif.js'
import type {AuditReport} from '../audit/types.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags} from '../lib/flags.js'
import type {AuditBatchJson} from '../plan/audit-domains.js'

export default class Audit extends MxcutCommand {
  static override summary = 'Pre-flight checks for a cutover: every finding that could lose mail, with what to do.'

  static override description = `Reads the domain's mail DNS from every authoritative server and checks MX, name servers, SPF (lookups counted through includes, today and after the target's include is added), DMARC, MTA-STS and DANE. With --to (or a config), also checks what the target provider needs: verification TXT, DKIM, autodiscover, that its MX hosts resolve, that they accept RCPT TO:<postmaster@DOMAIN> and offer STARTTLS with a certificate for their name. Every MX host of today's RRset is probed too, each address (A and AAAA): a listed host that refuses the domain is MX_BACKUP_REJECTS (the SMTP probe never sends DATA). The PTR of each address of a custom MX host must forward-confirm (MX_PTR_MISMATCH). CNAMEs are followed wherever a name is read; a lookup that fails is CHECK_INCOMPLETE, never a missing record.

Exit status: 0 when no finding has severity error, 1 when some do, 2 on bad input or when a domain could not be audited at all. Several domains may be given; they are audited --concurrency at a time.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> contoso.com --to microsoft365',
    '<%= config.bin %> <%= command.id %> contoso.com --to google-workspace --no-smtp --json',
    '<%= config.bin %> <%= command.id %> --config plans/contoso.com.yaml',
    '<%= config.bin %> <%= command.id %> contoso.com fabrikam.com --to microsoft365 --resolver 1.1.1.1 --concurrency 16',
    '<%= config.bin %> <%= command.id %> --domains-file tenant-domains.txt --to microsoft365 --csv > audit.csv',
  ]

  static override strict = false

  static override args = {
    domain: Args.string({description: 'Domain(s) to audit (IDN accepted); optional with --config.'}),
  }

  static override flags = {
    to: Flags.string({description: 'Target provider profile: microsoft365, google-workspace or custom (see: mxcut profiles). Overrides the config.'}),
    config: Flags.string({char: 'c', description: "Cutover config (YAML): target profile, the tenant's MX, verification TXT, resolvers."}),
    smtp: Flags.boolean({description: "Probe port 25 of every MX host, today's and the target's, each address (EHLO, STARTTLS and its certificate, MAIL FROM:<>, RCPT TO:<postmaster@DOMAIN>, QUIT; never DATA). --no-smtp skips it.", default: true, allowNo: true}),
    'smtp-port': Flags.integer({description: 'Port of the SMTP probe (25 in real use).', default: 25, min: 1, max: 65535}),
    'probe-timeout': Flags.integer({description: 'Milliseconds to wait for each SMTP reply and for the MTA-STS policy.', default: 10000, min: 100, max: 300000}),
    'mta-sts-port': Flags.integer({description: 'Port of the MTA-STS policy host (443 in real use).', default: 443, min: 1, max: 65535, hidden: true}),
    concurrency: Flags.integer({description: 'Domains audited at once.', default: 8, min: 1, max: 256}),
    'domains-file': Flags.string({description: 'Audit the domains listed in this file, one a line (# comments); - reads standard input. --json then always gives the batch shape.'}),
    csv: Flags.boolean({description: 'Print CSV instead of the report: domain,status,severity,code,subject,message, one row per finding (every domain appears).', exclusive: ['json']}),
    ...dnsFlags,
  }

  async run(): Promise<AuditReport | AuditBatchJson> {
    const {argv, flags} = await this.parse(Audit)
    const {runAuditCommand} = await import('../plan/audit-domains.js')
    const result = await runAuditCommand({
      domains: argv as string[],
      ...(flags['domains-file'] ? {domainsFile: flags['domains-file']} : {}),
      csv: flags.csv,
      to: flags.to,
      configPath: flags.config,
      smtp: flags.smtp,
      smtpPort: flags['smtp-port'],
      probeTimeoutMs: flags['probe-timeout'],
      httpsPort: flags['mta-sts-port'],
      concurrency: flags.concurrency,
      dns: flags,
      json: this.jsonEnabled(),
      log: (line) => this.log(line),
    })
    process.exitCode = result.exitCode
    return result.json
  }
}
