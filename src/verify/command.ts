import {createDnsClient} from '../dns/client.js'
import {parseDomain} from '../dns/names.js'
import type {MxData} from '../dns/records.js'
import type {ServerSpec} from '../dns/server.js'
import {dnsSettings, type DnsFlagValues} from '../dns/settings.js'
import {UserError} from '../lib/errors.js'
import {colorEnabled} from '../lib/style.js'
import {isPlanPath, readPlanState} from '../state/file.js'
import {discoverZone} from '../zone/discover.js'
import {parseMx} from '../zone/rrset.js'
import {parseWait} from './duration.js'
import {expectationFromPlan} from './plan.js'
import {renderVerify, watchSummary} from './render.js'
import {verifyPropagation, type VerifyReport} from './verify.js'
import {watchPropagation, type WatchResult} from './watch.js'

export type VerifyJson = VerifyReport & {
  source: string
  watch?: Pick<WatchResult, 'rounds' | 'startedAt' | 'convergedAt' | 'authoritativeUpdatedAt' | 'lastEta' | 'timedOut' | 'aborted'>
}

export interface VerifyCommandOptions {
  /** A domain (with expectMx) or a plan state file. */
  target: string
  expectMx?: string[]
  watch: boolean
  watchTimeout: string
  publishedTtl?: number
  samples: number
  dns: DnsFlagValues
  json: boolean
  log: (line: string) => void
}

interface Expectation {
  domain: string
  expected: MxData[]
  publishedTtl: number | null
  source: string
  config: {resolvers?: string[]; nameservers?: string[]}
}

/** What to expect: from the plan's progress, or from --expect-mx for a domain. */
async function expectation(o: VerifyCommandOptions): Promise<Expectation> {
  if (await isPlanPath(o.target)) {
    if (o.expectMx) throw new UserError('--expect-mx cannot be combined with a plan: the plan says what to expect')
    const exp = expectationFromPlan(await readPlanState(o.target))
    return {domain: exp.domain, expected: exp.expected, publishedTtl: o.publishedTtl ?? exp.publishedTtl, source: `from plan ${o.target}: MX ${exp.source}`, config: {resolvers: exp.resolvers, nameservers: exp.nameservers}}
  }
  const domain = parseDomain(o.target)
  if (!o.expectMx || o.expectMx.length === 0) {
    throw new UserError(`give the expected MX with --expect-mx "PRIORITY HOST" (repeatable), or a plan file instead of ${domain}`)
  }
  const expected = o.expectMx.map((text) => {
    const mx = parseMx(text)
    if (!mx) throw new UserError(`--expect-mx '${text}' is not "PRIORITY HOST" (e.g. "10 mx1.contoso.com", priority 0-65535)`)
    // Answers carry fully qualified names; a bare label would never match and the check would wait forever.
    if (mx.exchange !== '.' && !mx.exchange.includes('.')) {
      throw new UserError(`--expect-mx '${text}': write the host fully qualified (e.g. "${mx.priority} ${mx.exchange}.${domain}")`)
    }
    return mx
  })
  return {domain, expected, publishedTtl: o.publishedTtl ?? null, source: 'from --expect-mx', config: {}}
}

/** `mxcut verify`: one check, or a watch until converged, with its report and exit code (0 converged, 1 not). */
export async function runVerify(o: VerifyCommandOptions): Promise<{json: VerifyJson; exitCode: number}> {
  const {domain, expected, publishedTtl, source, config} = await expectation(o)
  const watchMs = parseWait(o.watchTimeout)
  const settings = dnsSettings(o.dns, config)
  const client = createDnsClient({timeoutMs: settings.timeoutMs})
  const zone = await discoverZone(domain, {client, resolvers: settings.resolvers, nameservers: settings.nameservers, timeoutMs: settings.timeoutMs})
  const base = {client, domain, expected, authoritative: zone.nameservers, resolvers: settings.resolvers, samples: o.samples, publishedTtl, timeoutMs: settings.timeoutMs}

  if (!o.watch) {
    const report = await verifyPropagation(base)
    if (!o.json) o.log(renderVerify(report, source))
    return {json: {...report, source}, exitCode: report.converged ? 0 : 1}
  }

  const abort = new AbortController()
  const onSignal = () => abort.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const live = !o.json && colorEnabled(process.stdout) && !process.env.CI
  const servers: Array<{role: 'authoritative' | 'resolver'; server: ServerSpec}> = [
    ...zone.nameservers.map((server) => ({role: 'authoritative' as const, server})),
    ...settings.resolvers.map((server) => ({role: 'resolver' as const, server})),
  ]
  // The live display (listr2) loads only for a watch at a terminal.
  const {listrDisplay, plainDisplay} = await import('./live.js')
  const display = o.json ? null : live ? listrDisplay(servers) : plainDisplay(o.log)
  let result: WatchResult
  try {
    result = await watchPropagation({...base, deadline: Date.now() + watchMs, signal: abort.signal, onUpdate: (r) => display?.update(r)})
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
  await display?.finish(result)
  if (!o.json) {
    o.log('')
    o.log(renderVerify(result.report, source))
    o.log(watchSummary(result))
  }
  const {rounds, startedAt, convergedAt, authoritativeUpdatedAt, lastEta, timedOut, aborted} = result
  return {json: {...result.report, source, watch: {rounds, startedAt, convergedAt, authoritativeUpdatedAt, lastEta, timedOut, aborted}}, exitCode: result.converged ? 0 : 1}
}
