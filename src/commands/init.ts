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
import {inspectDomain} from '../zone/inspect.js'

/** One flag per question of every host (--tsig-secret, …), named and described by the host's module. */
const hostFlags = Object.fromEntries(
  hostModules.flatMap((h) => h.init.questions.map((q): [string, Interfaces.OptionFlag<string | undefined>] => [q.flag, Flags.string({description: `${h.name}: ${q.help}`})])),
)

export default class Init extends MxcutCommand {
  static override summary = 'Write a cutover config (plans/DOMAIN.yaml) with a wizard that reads live DNS for its defaults.'

  static override description = `Asks for the domain, reads its mail DNS from the authoritative servers (today's MX, its TTL, the provider it points at), then asks for the target provider, the tenant's MX value, the verification TXT, how DNS changes are made, and the TTLs. Every question has a flag; without a terminal, a question that has no default and no flag is an error naming the flag.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --domain contoso.com --to microsoft365 --mx "0 contoso-com.mail.protection.outlook.com" --verification MS=ms12345678',
    '<%= config.bin %> <%= command.id %> --domain contoso.com --to google-workspace --dns-host rfc2136 --rfc2136-server 192.0.2.53 --tsig-secret env:TSIG_SECRET',
  ]

  static override flags = {
    domain: Flags.string({description: 'Domain whose mail moves.'}),
    to: Flags.string({description: 'Target provider profile (microsoft365 or m365, google-workspace or google, custom), as mxcut audit --to takes it.'}),
    mx: Flags.string({description: 'Target MX as "PREFERENCE HOST" (repeatable); default: the profile\'s value for the domain.', multiple: true}),
    verification: Flags.string({description: 'Domain-verification TXT the target asks for (e.g. MS=ms12345678); "" to skip.'}),
    tenant: Flags.string({description: 'Microsoft 365 tenant name (contoso of contoso.onmicrosoft.com) for the DKIM CNAMEs; "" to skip.'}),
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
    const answers = await collectAnswers(flags, prompter, read, (text) => process.stderr.write(`mxcut: ${text}\n`))
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
