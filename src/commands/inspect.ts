import {Args} from '../lib/oclif.js'
import {parseDomain} from '../dns/names.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsSettings} from '../dns/settings.js'
import {dnsFlags} from '../lib/flags.js'
import type {InspectReport} from '../zone/inspect.js'

export default class Inspect extends MxcutCommand {
  static override summary = "Show a domain's mail DNS as each authoritative server serves it."

  static override description = `Finds the zone and its authoritative servers (through --resolver, or the servers given with --nameserver), then asks every one of them directly (RD=0) for the MX RRset with its TTL, SPF, DMARC, MTA-STS, DKIM selectors and autodiscover, and the SOA serial. Servers that disagree are marked: a cutover must not start until they agree.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> contoso.com',
    '<%= config.bin %> <%= command.id %> contoso.com --resolver 1.1.1.1 --json',
    '<%= config.bin %> <%= command.id %> contoso.com --nameserver 192.0.2.53 --nameserver 198.51.100.53',
    '<%= config.bin %> <%= command.id %> bücher.example --resolver https://cloudflare-dns.com/dns-query',
  ]

  static override args = {
    domain: Args.string({description: 'Domain whose mail DNS to read (IDN accepted).', required: true}),
  }

  static override flags = {...dnsFlags}

  async run(): Promise<InspectReport> {
    const {args, flags} = await this.parse(Inspect)
    const domain = parseDomain(args.domain)
    const settings = dnsSettings(flags)
    const [{createDnsClient}, {inspectDomain}, {renderInspect}] = await Promise.all([import('../dns/client.js'), import('../zone/inspect.js'), import('../zone/inspect-render.js')])
    const client = createDnsClient({timeoutMs: settings.timeoutMs})
    const {report} = await inspectDomain(domain, {client, ...settings})
    if (!this.jsonEnabled()) this.log(renderInspect(report))
    return report
  }
}
