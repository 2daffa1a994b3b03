import {Args, Flags} from '../lib/oclif.js'
import {MxcutCommand} from '../lib/command.js'
import {dnsFlags} from '../lib/flags.js'
import type {VerifyJson} from '../verify/command.js'

export default class Verify extends MxcutCommand {
  static override summary = 'Check that the authoritative servers and the resolvers serve the expected MX records.'

  static override description = `Asks every authoritative server of the zone directly (RD=0) and every resolver several times (anycast resolvers hold several caches), and classifies each: updated, stale (with the time the old MX has left in its cache), mixed, unreachable or error. Reports when the last stale cache must expire if it obeys TTLs, and flags resolvers that keep the old MX longer than it was published for (TTL clamping).

The expected MX come from --expect-mx, or from a plan state file: the records after the latest applied MX change, or the observed ones before any.

Exit status: 0 converged, 1 not converged, 2 usage or runtime error.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> contoso.com --expect-mx "0 contoso-com.mail.protection.outlook.com"',
    '<%= config.bin %> <%= command.id %> contoso.com --expect-mx "1 aspmx.l.google.com" --expect-mx "5 alt1.aspmx.l.google.com" --watch',
    '<%= config.bin %> <%= command.id %> plans/contoso.com.plan.json --watch --watch-timeout 20m',
    '<%= config.bin %> <%= command.id %> contoso.com --expect-mx "10 mx.fabrikam.com" --published-ttl 300 --resolver https://cloudflare-dns.com/dns-query --json',
  ]

  static override args = {
    target: Args.string({description: 'Domain (with --expect-mx), or a plan state file (*.plan.json).', required: true}),
  }

  static override flags = {
    'expect-mx': Flags.string({
      char: 'e',
      description: 'An expected MX record as "PRIORITY HOST". Repeat for each record of the set.',
      multiple: true,
    }),
    watch: Flags.boolean({char: 'w', description: 'Re-check until converged or --watch-timeout, polling at least once a second near the expected end.'}),
    'watch-timeout': Flags.string({description: 'How long --watch waits before giving up: seconds, or 90s, 15m, 2h.', default: '30m'}),
    'published-ttl': Flags.integer({
      description: 'TTL (seconds) the old MX records were published with; resolvers holding them longer are flagged as clamping TTLs. Read from the plan when verifying a plan.',
      min: 0,
      max: 2147483647,
    }),
    samples: Flags.integer({description: 'Queries per resolver (anycast resolvers hold several caches).', default: 3, min: 1, max: 20}),
    ...dnsFlags,
  }

  async run(): Promise<VerifyJson> {
    const {args, flags} = await this.parse(Verify)
    const {runVerify} = await import('../verify/command.js')
    const result = await runVerify({
      target: args.target,
      expectMx: flags['expect-mx'],
      watch: flags.watch,
      watchTimeout: flags['watch-timeout'],
      publishedTtl: flags['published-ttl'],
      samples: flags.samples,
      dns: flags,
      json: this.jsonEnabled(),
      log: (line) => this.log(line),
    })
    process.exitCode = result.exitCode
    return result.json
  }
}
