import {Flags} from '../lib/oclif.js'
import type {Interfaces} from '@oclif/core'
import {input, select} from '@inquirer/prompts'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {createDnsClient} from '../dns/client.js'
import {hostModules, hostNames} from '../hosts/registry.js'
import {MxcutCommand} from '../lib/command.js'
import {UserError} from '../lib/errors.js'
import {dnsSettings} from '../dns/settings.js'
import {dnsFlags} from '../lib/flags.js'
import {collectAnswers, configYaml, type Prompter} from '../plan/init.js'
import {readTenantRecords} from '../profiles/microsoft-graph.js'
import {inspectDomain} from '../zone/inspect.js'

/** One flag per question of every host (--tsig-secret, …), named and described by the host's module. */
const hostFlags = Object.fromEntries(
  hostModules.flatMap((h) => h.init.questions.map((q): [string, Interfaces.OptionFlag<string | undefined>] => [q.flag, Flags.string({description: `${h.name}: ${q.help}`})])),
)

export default class Init extends MxcutCommand {
  static override summary = 'Write a cutover config (plans/DOMAIN.yaml) with a wizard that reads live DNS for its defaults.'

  static override description = `Asks for the domain, reads its mail DNS from the authoritative servers (today's MX, its TTL, the provider it points at), then asks for the target provider, the tenant's MX value (or a Microsoft Graph token to read the tenant's records), the verification TXT, the DKIM values the provider assigns, how DNS changes are made, and the TTLs. Nothing the provider assigns is pre-filled: an MX left empty stays out of the config, DKIM values not given leave DKIM out of the plan (target.dkim: false). Every question has a flag; without a terminal, a question that has no default and no flag is an error naming the flag.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --domain contoso.com --to microsoft365 --mx "0 contoso-com.mail.protection.outlook.com" --verification MS=ms12345678 --dkim selector1=<Selector1CNAME> --dkim selector2=<Selector2CNAME>',
    '<%= config.bin %> <%= command.id %> --domain contoso.com --to microsoft365 --graph-token env:GRAPH_TOKEN',
    '<%= config.bin %> <%= command.id %> --domain contoso.com --to google-workspace --dns-host rfc2136 --rfc2136-server 192.0.2.53 --tsig-secret env:TSIG_SECRET',
  ]

  static override flags = {
    domain: Flags.string({description: 'Domain whose mail moves.'}),
    to: Flags.string({description: 'Target provider profile (microsoft365 or m365, google-workspace or google, custom, … see mxcut profiles), as mxcut audit --to takes it.'}),
    mx: Flags.string({description: 'Target MX as "PREFERENCE HOST" (repeatable), copied from the provider; without it the config leaves target.mx out and the plan uses the profile\'s documented value (or the tenant\'s, with --graph-token).', multiple: true}),
    verification: Flags.string({description: 'Domain-verification TXT the target asks for (e.g. MS=ms12345678); "" to skip.'}),
    dkim: Flags.string({description: 'DKIM record copied from the provider as SELECTOR=VALUE (repeatable), e.g. selector1=<Selector1CNAME>; without it DKIM is left out of the plan (target.dkim: false).', multiple: true}),
    region: Flags.string({description: "The provider's region where its hosts depend on it (Amazon WorkMail: the AWS Region, e.g. us-east-1)."}),
    'graph-token': Flags.string({description: "Microsoft 365: env:NAME or file:PATH of a Microsoft Graph token (Domain.Read.All) to read the tenant's MX, SPF, autodiscover and verification TXT; \"\" to skip."}),
    'graph-endpoint': Flags.string({description: 'Microsoft Graph v1.0 endpoint (default https://graph.microsoft.com/v1.0; national clouds have their own).'}),
    'dns-host': Flags.string({description: `How DNS changes are made: ${hostNames.join(', ')}.`}),
    ...hostFlags,
    'lowered-ttl': Flags.string({description: 'MX TTL during the cutover (seconds or 5m). Default 300.'}),
    'final-ttl': Flags.string({description: "MX TTL after the cutover. Default: today's, read when planning (never a guess)."}),
    strategy: Flags.string({description: 'replace (default) or staged.'}),
    out: Flags.string({char: 'o', description: 'Config file to write (default plans/DOMAIN.yaml).'}),
    force: Flags.boolean({description: 'Replace an existing config file.'}),
    ...dnsFlags,
  }

  async run(): Promise<{config: string; domain: string}> {
    const {flags} = await this.parse(Init)
    const client = createDnsClient({timeoutMs: flags.timeout})
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !this.jsonEnabled()
    const prompter: Prompter | null = interactive
      ? {
          input: (q) => input({message: q.message, default: q.default, validate: q.validate}),
          select: (q) => select({message: q.message, choices: q.choices, default: q.default}),
          note: (text) => this.log(text),
        }
      : null
    const read = async (domain: string, resolvers: string[]) => (await inspectDomain(domain, {client, ...dnsSettings({...flags, resolver: resolvers})})).report
    const readTenant = (domain: string, token: string) => readTenantRecords(domain, {token, ...(flags['graph-endpoint'] ? {endpoint: flags['graph-endpoint']} : {})}, {field: '--graph-token'})
    const answers = {
      ...(await collectAnswers(flags, prompter, read, readTenant, (text) => process.stderr.write(`mxcut: ${text}\n`))),
      graphEndpoint: flags['graph-endpoint'] ?? null,
    }
    const path = flags.out ?? join('plans', `${answers.domain}.yaml`)
    const text = configYaml(answers, path)
    if (!flags.force) {
      const exists = await readFile(path, 'utf8').then(
        () => true,
        () => false,
      )
      if (exists) {
        const replace = prompter ? (await select({message: `${path} exists. Replace it?`, choices: [{value: 'no', name: 'no'}, {value: 'yes', name: 'yes'}]})) === 'yes' : false
        if (!replace) throw new UserError(`${path} exists; give --force to replace it or --out for another file`)
      }
    }
    await mkdir(dirname(path), {recursive: true})
    await writeFile(path, text, {mode: 0o600})
    if (!this.jsonEnabled()) this.log(`Wrote ${path}. Next: mxcut plan ${path}`)
    return {config: path, domain: answers.domain}
  }
}
