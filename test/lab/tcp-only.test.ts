import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import type {AuditReport} from '../../src/audit/types.js'
import {createDnsClient} from '../../src/dns/client.js'
import {serverLabel} from '../../src/dns/server.js'
import {createHost} from '../../src/hosts/registry.js'
import type {VerifyReport} from '../../src/verify/verify.js'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, nsupdate, readJournalLines, TARGET_MX} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'
import {startTcpOnlyNs, type TcpOnlyNs} from './tcp-only-ns.js'

/**
 * A name server of the zone that answers only over TCP (UDP dropped, or
 * answered from the wrong port or address), in front of the lab primary as
 * a third NS. The cutover completes, verification reads it over TCP, the
 * hosts read through it, and the audit warns NS_TCP_ONLY (NS_UNREACHABLE for
 * one that answers neither way).
 */
let lab: Lab
const stand: Partial<Record<'drop' | 'wrong-port' | 'wrong-address' | 'dead', TcpOnlyNs>> = {}
const dir = mkdtempSync(join(tmpdir(), 'mxcut-tcp-only-'))
const ZONE = 'tcponly.test'
const base = cutoverZone(ZONE, 3)

beforeAll(async () => {
  lab = await startLab({zones: [base], resolvers: [{}]})
  const prefix = lab.primary.address.replace(/\.\d+$/, '')
  const modes = ['drop', 'wrong-port', 'wrong-address', 'dead'] as const
  for (const [i, mode] of modes.entries()) stand[mode] = await startTcpOnlyNs(lab.primary, `${prefix}.${30 + i}`, mode, `${prefix}.40`)
  // The stand-in is an NS of the zone, with glue, like any other (added by UPDATE: the zone is dynamic).
  await nsupdate(lab, [`zone ${ZONE}`, `update add ${ZONE} 60 NS ns3.${ZONE}.`, `update add ns3.${ZONE} 60 A ${stand.drop?.server.address}`])
  await lab.waitForSerial(lab.secondary, ZONE, 101)
})
afterAll(async () => {
  await Promise.all(Object.values(stand).map((s) => s?.stop()))
  await lab?.stop()
})

const label = (mode: keyof typeof stand) => serverLabel(stand[mode]!.server)

describe('a name server that answers only over TCP', () => {
  test('the cutover completes, and verification reads the TCP-only server over TCP', {timeout: 150_000}, async () => {
    const dnsLines = [
      'dns:',
      '  host: rfc2136',
      `  rfc2136: {server: ${lab.primary.address}, key: {name: ${lab.tsig.sha256.name}, algorithm: hmac-sha256, secret: env:MXCUT_LAB_TSIG}}`,
      `  nameservers: [${lab.primary.address}, ${lab.secondary.address}, ${label('drop')}]`,
      `resolvers: [${lab.resolvers.map((r) => r.address).join(', ')}]`,
    ]
    const plan = await makePlan(dir, lab, ZONE, {lowered: 1, margin: 0, dnsLines})
    const tcpBefore = stand.drop!.counts.tcp
    const r = await runCli(['run', plan, '--yes', '--timeout', '700'], {env: labEnv(lab), timeoutMs: 120_000})
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/verify-propagation: every authoritative server and 1 resolver serve the expected MX/)
    expect(r.stdout).toMatch(/cutover complete/)
    const verified = readJournalLines(plan).find((e) => e.event === 'verify' && e.step === 'verify-propagation')
    expect(verified?.['converged']).toBe(true)
    // UDP to it went unanswered every time; everything it served came over TCP.
    expect(stand.drop!.counts.udp).toBeGreaterThan(0)
    expect(stand.drop!.counts.tcp).toBeGreaterThan(tcpBefore)
    expect(await mxOn(lab.secondary, ZONE)).toEqual({ttl: 3, records: [`0 ${TARGET_MX}`]})

    for (const mode of ['drop', 'wrong-port', 'wrong-address'] as const) {
      const v = await runCli(['verify', ZONE, '--expect-mx', `0 ${TARGET_MX}`, '--nameserver', label(mode), '--resolver', serverLabel(lab.resolvers[0]), '--timeout', '700', '--json'])
      expect(v.code, `${mode}: ${v.stderr}${v.stdout}`).toBe(0)
      const report = parseJson<VerifyReport>(v)
      expect(report.authoritative.map((a) => [a.address, a.status])).toEqual([[label(mode), 'updated']])
      expect(report.converged).toBe(true)
    }
  })

  test('the hosts read through it: manual polling and the rfc2136 host (read and UPDATE)', {timeout: 60_000}, async () => {
    const client = createDnsClient({timeoutMs: 500})
    const print = () => undefined
    const manual = createHost({host: 'manual'}, {zone: ZONE, client, authServers: [{...stand['wrong-port']!.server, host: 'ns3'}], print, requestTimeoutMs: 500})
    expect((await manual.read(ZONE, 'MX'))?.records).toEqual([{priority: 0, exchange: TARGET_MX}])
    process.env.MXCUT_TCP_ONLY_TSIG = lab.tsig.sha256.secret
    const rfc2136 = createHost(
      {host: 'rfc2136', rfc2136: {server: label('drop'), key: {name: lab.tsig.sha256.name, algorithm: 'hmac-sha256', secret: 'env:MXCUT_TCP_ONLY_TSIG'}}},
      {zone: ZONE, client, authServers: [], print, requestTimeoutMs: 500},
    )
    const before = await rfc2136.read(ZONE, 'MX')
    expect(before?.records).toEqual([{priority: 0, exchange: TARGET_MX}])
    await rfc2136.apply([{action: 'replace', name: ZONE, type: 'MX', ttl: 3, records: [{priority: 0, exchange: TARGET_MX}, {priority: 10, exchange: `backup.example.test`}], expect: {ttl: 3, records: before?.records ?? []}}])
    expect((await mxOn(lab.primary, ZONE)).records).toEqual([`0 ${TARGET_MX}`, `10 backup.example.test`])
  })

  test('audit: NS_TCP_ONLY (warning) for each way of answering only over TCP, NS_UNREACHABLE for neither', {timeout: 60_000}, async () => {
    const servers = [lab.primary.address, label('drop'), label('wrong-port'), label('wrong-address'), label('dead')].flatMap((s) => ['--nameserver', s])
    const r = await runCli(['audit', ZONE, ...servers, '--resolver', serverLabel(lab.resolvers[0]), '--timeout', '700', '--no-smtp', '--json'])
    const report = parseJson<AuditReport>(r)
    const ns = report.findings.filter((f) => f.code.startsWith('NS_')).map((f) => [f.code, f.severity, f.subject]).sort()
    expect(ns).toEqual(
      [
        ['NS_TCP_ONLY', 'warning', label('drop')],
        ['NS_TCP_ONLY', 'warning', label('wrong-port')],
        ['NS_TCP_ONLY', 'warning', label('wrong-address')],
        ['NS_UNREACHABLE', 'error', label('dead')],
      ].sort(),
    )
    expect(report.findings.find((f) => f.code === 'NS_TCP_ONLY')?.message).toMatch(/answers for tcponly\.test only over TCP/)
    expect(r.code).toBe(1)
  })
})
