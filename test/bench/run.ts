/**
 * npm run bench: every benchmark prints a ratio against a peer measured in
 * this same run, on this machine, over loopback only (the BIND + Unbound lab).
 */
import {startLab, type Lab} from '../lab/lab.js'
import {benchAudit} from './audit.js'
import {benchColdStart} from './cold-start.js'
import {benchCutover} from './cutover.js'
import {benchDnsThroughput} from './dns-throughput.js'
import type {BenchResult} from './common.js'
import {benchVerify} from './verify.js'

process.env.MXCUT_LOOPBACK_ONLY = '1'
const AUDIT_DOMAINS = 200
const only = process.argv.slice(2)
const want = (key: string) => only.length === 0 || only.includes(key)

const auditRecords = Array.from({length: AUDIT_DOMAINS}, (_, i) => [
  `d${i} 300 IN MX 10 mail`,
  `d${i} 300 IN TXT "v=spf1 mx -all"`,
  `_dmarc.d${i} 300 IN TXT "v=DMARC1; p=none"`,
]).flat()

async function main(): Promise<void> {
  const results: BenchResult[] = []
  const failures: string[] = []
  const attempt = async (key: string, fn: () => Promise<BenchResult | BenchResult[]>) => {
    if (!want(key)) return
    process.stdout.write(`… ${key}\n`)
    try {
      const got = await fn()
      for (const r of Array.isArray(got) ? got : [got]) {
        results.push(r)
        process.stdout.write(`${r.name}: ${r.ratio.toFixed(2)}× (${r.ratioOf})\n  ${r.detail}\n`)
      }
    } catch (err) {
      failures.push(`${key}: ${err instanceof Error ? err.message : String(err)}`)
      process.stdout.write(`${key}: FAILED ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }

  await attempt('cold-start', benchColdStart)

  let lab: Lab | undefined
  try {
    lab = await startLab({
      zones: [
        {name: 'bench.test', records: ['* 300 IN A 127.0.0.1']},
        {name: 'verify.test', records: ['@ 300 IN MX 0 verify-test.mail.protection.outlook.com.']},
        {name: 'cutover.test', dynamic: true, minimum: 2, ttl: 8, records: ['@ 8 IN MX 10 mail', 'mail 8 IN A 127.0.0.25', '@ 8 IN TXT "v=spf1 mx -all"']},
        {name: 'audit.test', records: ['mail 300 IN A 127.0.0.25', ...auditRecords]},
      ],
      resolvers: Array.from({length: 8}, () => ({})),
    })
    const l = lab
    await attempt('dns', () => benchDnsThroughput(l.resolvers[0], 'bench.test'))
    await attempt('verify', () => benchVerify(l.resolvers, [l.primary, l.secondary], 'verify.test', [{priority: 0, exchange: 'verify-test.mail.protection.outlook.com'}]))
    await attempt('cutover', () => benchCutover(l, 'cutover.test'))
    await attempt('audit', () => benchAudit(l.resolvers[2], Array.from({length: AUDIT_DOMAINS}, (_, i) => `d${i}.audit.test`)))
  } finally {
    await lab?.stop()
  }

  process.stdout.write('\nSummary (ratios measured in this run)\n')
  for (const r of results) process.stdout.write(`  ${r.ratio.toFixed(2).padStart(7)}×  ${r.name}  [${r.ratioOf}]\n`)
  if (failures.length > 0) {
    process.stdout.write(`\n${failures.length} benchmark${failures.length > 1 ? 's' : ''} failed:\n${failures.map((f) => `  ${f}`).join('\n')}\n`)
    process.exitCode = 1
  }
}

await main()
