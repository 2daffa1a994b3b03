import {Args, Flags} from '@oclif/core'
import {drillDomain, type DrillReport} from '../audit/drill.js'
import {renderDrill} from '../audit/drill-render.js'
import {createDnsClient} from '../dns/client.js'
import {parseDomain} from '../dns/names.js'
import {dnsSettings} from '../dns/settings.js'
import {UserError} from '../lib/errors.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags} from '../lib/flags.js'

export default class Drill extends MxcutCommand {
  static override summary = "Failover drill: what each MX host would do with the domain's mail if the ones before it failed."

  static override description = `Reads the domain's MX from its authoritative servers, then reaches every MX host alone, each of its addresses (A and AAAA) in its own SMTP session on port 25, as a sender that found the hosts before it down would: EHLO, STARTTLS where offered, MAIL FROM:<>, RCPT TO:<postmaster@DOMAIN>, QUIT. It never sends DATA, so no message is delivered and production is not touched. Each host is reported as accept (250), defer (4xx: mail waits at the senders), bounce (5xx: mail returns to its senders) or unreachable (no conversation up to RCPT from here), followed by what a sender sees when the primary fails.

Exit status: 1 when any listed MX host would bounce the domain's mail, 0 otherwise, 2 on bad input or when the MX cannot be read.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> contoso.com',
    '<%= config.bin %> <%= command.id %> contoso.com --json',
    '<%= config.bin %> <%= command.id %> contoso.com --recipient abuse@contoso.com --probe-timeout 20000',
  ]

  static override args = {
    domain: Args.string({description: 'Domain whose MX hosts to drill (IDN accepted).', required: true}),
  }

  static override flags = {
    recipient: Flags.string({description: 'The RCPT TO address (default postmaster@DOMAIN).'}),
    'smtp-port': Flags.integer({description: 'Port of the SMTP probe (25 in real use).', default: 25, min: 1, max: 65535}),
    'probe-timeout': Flags.integer({description: 'Milliseconds to wait for the connection and for each SMTP reply.', default: 10000, min: 100, max: 300000}),
    ...dnsFlags,
  }

  async run(): Promise<DrillReport> {
    const {args, flags} = await this.parse(Drill)
    const domain = parseDomain(args.domain)
    if (flags.recipient !== undefined && !/^[^\s<>@]+@[^\s<>@]+$/.test(flags.recipient)) throw new UserError(`--recipient '${flags.recipient}' must be an address such as postmaster@${domain}`)
    const settings = dnsSettings(flags)
    const report = await drillDomain(domain, {
      client: createDnsClient({timeoutMs: settings.timeoutMs}),
      ...settings,
      probeTimeoutMs: flags['probe-timeout'],
      smtpPort: flags['smtp-port'],
      ...(flags.recipient ? {recipient: flags.recipient} : {}),
    })
    if (!this.jsonEnabled()) this.log(renderDrill(report))
    process.exitCode = report.wouldBounce ? 1 : 0
    return report
  }
}
