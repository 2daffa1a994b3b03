import {serverLabel} from '../../src/dns/server.js'
import type {LabResolver} from '../lab/lab.js'
import {mxcut, run, timed, type BenchResult} from './common.js'

/**
 * (e) `mxcut audit` of 200 domains in one call against what a person would
 * script: `dig` of the MX, the SPF TXT and the DMARC TXT of each domain, one
 * after the other. Both ask the same Unbound on loopback. The audit does far
 * more per domain (every authoritative server, SOA serials, MX targets, SPF
 * lookups); the ratio says what that costs or saves overall.
 */
export async function benchAudit(resolver: LabResolver, domains: string[]): Promise<BenchResult> {
  const server = serverLabel(resolver)
  const {ms: auditMs, value} = await timed(() => mxcut(['audit', ...domains, '--resolver', server, '--no-smtp', '--json', '--concurrency', '16'], {allowExit: [1]}))
  const report = JSON.parse(value.stdout) as {domains?: unknown[]}
  if ((report.domains?.length ?? 0) !== domains.length) throw new Error(`audit bench: ${report.domains?.length ?? 0} of ${domains.length} domains audited`)
  const {ms: digMs} = await timed(async () => {
    for (const d of domains) {
      for (const [name, type] of [[d, 'MX'], [d, 'TXT'], [`_dmarc.${d}`, 'TXT']]) {
        await run('dig', [`@${resolver.address}`, '-p', String(resolver.port), '+short', '+tries=1', '+time=2', name, type])
      }
    }
  })
  return {
    name: 'audit of 200 domains vs sequential dig',
    ratioOf: 'mxcut audit (200 domains) ÷ 600 sequential dig runs',
    ratio: auditMs / digMs,
    detail: `mxcut audit ${(auditMs / 1000).toFixed(1)} s (CLI start included), sequential dig of MX + SPF + DMARC ${(digMs / 1000).toFixed(1)} s`,
  }
}
