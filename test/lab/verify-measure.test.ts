import dgram from 'node:dgram'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {serverLabel, type DnsServer} from '../../src/dns/server.js'
import {verifyPropagation, type VerifyReport} from '../../src/verify/verify.js'
import {watchPropagation} from '../../src/verify/watch.js'
import type {VerifyJson} from '../../src/verify/command.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startLab, type Lab} from './lab.js'

/**
 * Measures (prints, asserts no timing) how long one check takes with 8
 * resolvers × 3 samples when one resolver never answers: seven real Unbound
 * caches plus a UDP socket that swallows queries.
 */
let lab: Lab
let silent: dgram.Socket
let silentServer: DnsServer
const domain = 'contoso.test'
const expected = [{priority: 10, exchange: 'mail.contoso.test'}]

beforeAll(async () => {
  lab = await startLab({zones: [{name: domain, records: ['@ 4 IN MX 10 mail', 'mail IN A 127.0.0.25'], serial: 1}], resolvers: Array.from({length: 7}, () => ({}))})
  silent = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()))
  silentServer = {kind: 'dns', address: '127.0.0.1', port: (silent.address() as AddressInfo).port, name: 'silent'}
})
afterAll(async () => {
  silent?.close()
  await lab?.stop()
})

test('one verify: 8 resolvers × 3 samples, one silent', async () => {
  const resolvers = [...lab.resolvers, silentServer]
  expect(resolvers).toHaveLength(8)
  const lines: string[] = []
  for (const [label, timeoutMs, retries] of [['default (2000 ms, 1 retry)', 2000, 1], ['--timeout 1000', 1000, 1]] as const) {
    const client = createDnsClient({timeoutMs, retries})
    for (const round of ['cold caches', 'warm caches']) {
      const started = performance.now()
      const report = await verifyPropagation({client, domain, expected, authoritative: [lab.primary, lab.secondary], resolvers, samples: 3})
      const took = performance.now() - started
      expect(report.summary).toEqual({updated: 7, stale: 0, mixed: 0, unreachable: 1, error: 0})
      lines.push(`[measure] verify, 8 resolvers × 3 samples + 2 authoritative, one silent, ${label}, ${round}: ${took.toFixed(0)} ms`)
    }
  }
  const common = ['--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), ...resolvers.flatMap((r) => ['--resolver', serverLabel(r)])]
  const started = performance.now()
  const cli = await runCli(['verify', domain, '--expect-mx', '10 mail.contoso.test', ...common, '--json'])
  const took = performance.now() - started
  expect(cli.code).toBe(1)
  const report = parseJson<VerifyJson>(cli)
  expect(report.resolvers.find((r) => r.address === serverLabel(silentServer))?.status).toBe('unreachable')
  lines.push(`[measure] mxcut verify CLI (same set, defaults): ${took.toFixed(0)} ms wall including start-up; check itself ${report.durationMs} ms`)
  console.log(lines.join('\n'))
})

test('watch with a silent resolver keeps polling at least once a second near the ETA', async () => {
  const client = createDnsClient()
  for (const r of lab.resolvers) await client.query(r, domain, 'MX')
  await lab.writeZone({name: domain, records: ['@ 4 IN MX 0 mx.target.test.', 'mail IN A 127.0.0.25'], serial: 2})
  await lab.waitForSerial(lab.secondary, domain, 2)
  const seen: VerifyReport[] = []
  const result = await watchPropagation({
    client,
    domain,
    expected: [{priority: 0, exchange: 'mx.target.test'}],
    authoritative: [lab.primary, lab.secondary],
    resolvers: [...lab.resolvers, silentServer],
    deadline: Date.now() + 9000,
    onUpdate: (r) => seen.push(r),
  })
  // The silent resolver is never "updated", so the watch cannot converge.
  expect(result).toMatchObject({converged: false, timedOut: true})
  expect(result.report.summary).toEqual({updated: 7, stale: 0, mixed: 0, unreachable: 1, error: 0})
  const times = seen.map((r) => Date.parse(r.checkedAt))
  const gaps = times.slice(1).map((t, i) => t - times[i])
  for (const r of seen) console.log(`[measure]   check at ${r.checkedAt} took ${r.durationMs} ms: ${JSON.stringify(r.summary)} eta ${r.eta}`)
  const allUpdatedAt = seen.find((r) => r.summary.updated === 7)?.checkedAt
  console.log(
    `[measure] watch with one silent resolver: first check ${seen[0].durationMs} ms, then ${seen.length - 1} checks, ` +
      `gaps between checks max ${Math.max(...gaps)} ms / median ${[...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]} ms; ` +
      `last stale cache ETA ${result.lastEta}, other 7 all updated at ${allUpdatedAt}`,
  )
})
