import {Args, Flags} from '@oclif/core'
import {createDnsClient} from '../dns/client.js'
import {parseDomain} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import type {ServerSpec} from '../dns/server.js'
import {MxcutCommand} from '../lib/command.js'
import {UserError} from '../lib/errors.js'
import {dnsSettings} from '../dns/settings.js'
import {dnsFlags} from '../lib/flags.js'
import {colorEnabled} from '../lib/style.js'
import {discoverZone} from '../zone/discover.js'
import {parseMx} from '../zone/rrset.js'
import {listrDisplay, plainDisplay} from '../verify/live.js'
import {isPlanPath, readPlanState} from '../state/file.js'
import {expectationFromPlan} from '../verify/plan.js'
import {renderVerify, watchSummary} from '../verify/render.js'
import {verifyPropagation, type VerifyReport} from '../verify/verify.js'
import {watchPropagation, type WatchResult} from '../verify/watch.js'
import {parseWait} from '../verify/duration.js'

export type VerifyJson = VerifyReport & {
  source: string
  watch?: Pick<WatchResult, 'rounds' | 'startedAt' | 'convergedAt' | 'authoritativeUpdatedAt' | 'lastEta' | 'timedOut' | 'aborted'>
}

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
    let domain: string
    let expected: MxData[]
    let publishedTtl: number | null = flags['published-ttl'] ?? null
    let source: string
    let config: {resolvers?: string[]; nameservers?: string[]} = {}
    if (await isPlanPath(args.target)) {
      if (flags['expect-mx']) throw new UserError('--expect-mx cannot be combined with a plan: the plan says what to expect')
      const plan = await readPlanState(args.target)
      const exp = expectationFromPlan(plan)
      domain = exp.domain
      expected = exp.expected
      publishedTtl ??= exp.publishedTtl
      source = `from plan ${args.target}: MX ${exp.source}`
      config = {resolvers: exp.resolvers, nameservers: exp.nameservers}
    } else {
      domain = parseDomain(args.target)
      if (!flags['expect-mx'] || flags['expect-mx'].length === 0) {
        throw new UserError(`give the expected MX with --expect-mx "PRIORITY HOST" (repeatable), or a plan file instead of ${domain}`)
      }
      expected = flags['expect-mx'].map((text) => {
        const mx = parseMx(text)
        if (!mx) throw new UserError(`--expect-mx '${text}' is not "PRIORITY HOST" (e.g. "10 mx1.contoso.com", priority 0-65535)`)
        // Answers carry fully qualified names; a bare label would never match and the check would wait forever.
        if (mx.exchange !== '.' && !mx.exchange.includes('.')) {
          throw new UserError(`--expect-mx '${text}': write the host fully qualified (e.g. "${mx.priority} ${mx.exchange}.${domain}")`)
        }
        return mx
      })
      source = 'from --expect-mx'
    }
    const watchMs = parseWait(flags['watch-timeout'])

    const settings = dnsSettings(flags, config)
    const client = createDnsClient({timeoutMs: settings.timeoutMs})
    const zone = await discoverZone(domain, {client, resolvers: settings.resolvers, nameservers: settings.nameservers, timeoutMs: settings.timeoutMs})
    const base = {
      client,
      domain,
      expected,
      authoritative: zone.nameservers,
      resolvers: settings.resolvers,
      samples: flags.samples,
      publishedTtl,
      timeoutMs: settings.timeoutMs,
    }

    if (!flags.watch) {
      const report = await verifyPropagation(base)
      if (!this.jsonEnabled()) this.log(renderVerify(report, source))
      if (!report.converged) process.exitCode = 1
      return {...report, source}
    }

    const abort = new AbortController()
    const onSignal = () => abort.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const live = !this.jsonEnabled() && colorEnabled(process.stdout) && !process.env.CI
    const servers: Array<{role: 'authoritative' | 'resolver'; server: ServerSpec}> = [
      ...zone.nameservers.map((server) => ({role: 'authoritative' as const, server})),
      ...settings.resolvers.map((server) => ({role: 'resolver' as const, server})),
    ]
    const display = this.jsonEnabled() ? null : live ? listrDisplay(servers) : plainDisplay((line) => this.log(line))
    let result: WatchResult
    try {
      result = await watchPropagation({...base, deadline: Date.now() + watchMs, signal: abort.signal, onUpdate: (r) => display?.update(r)})
    } finally {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    }
    await display?.finish(result)
    if (!this.jsonEnabled()) {
      this.log('')
      this.log(renderVerify(result.report, source))
      this.log(watchSummary(result))
    }
    if (!result.converged) process.exitCode = 1
    const {rounds, startedAt, convergedAt, authoritativeUpdatedAt, lastEta, timedOut, aborted} = result
    return {...result.report, source, watch: {rounds, startedAt, convergedAt, authoritativeUpdatedAt, lastEta, timedOut, aborted}}
  }
}
