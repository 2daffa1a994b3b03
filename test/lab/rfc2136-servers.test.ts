import {readFileSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createDnsClient, query} from '../../src/dns/client.js'
import {serverLabel, type DnsServer} from '../../src/dns/server.js'
import {createHost} from '../../src/hosts/registry.js'
import {DnsHostError} from '../../src/hosts/types.js'
import {runCli} from '../helpers/cli.js'
import {journalEvents, mxOn, readPlan} from '../run/lab-plan.js'
import {startStubResolver, type StubResolver} from '../run/stub-resolver.js'
import {startBindSecondary, type BindSecondary} from './bind-secondary.js'
import {freePort, newKey, type TsigKey} from './lab.js'
import {knotAvailable, startKnot, type Knot} from './knot.js'
import {nsdAvailable, startNsd} from './nsd.js'
import {pdnsAvailable, startPdns, type Pdns} from './pdns.js'

/**
 * Cutovers through the rfc2136 host against the name servers it was found
 * wanting on, besides BIND (test/lab/txt-strings.test.ts): Knot DNS (primary
 * and secondary) and PowerDNS with dnsupdate=yes and a BIND secondary. Each
 * zone publishes its SPF record as two character-strings; the SPF include of
 * the target is merged in and the source's dropped, each by a conditional
 * update naming the record as the server holds it, and every server must end
 * with the split intact. Against PowerDNS also: a wrong TSIG key stops the run
 * before anything is marked, with one line naming the key; a secondary lagging
 * behind PowerDNS's late NOTIFY is named while the run waits; an UPDATE to a
 * PowerDNS without dnsupdate is "does not implement DNS UPDATE".
 */
const dir = mkdtempSync(join(tmpdir(), 'mxcut-rfc2136-servers-'))

const FIRST = 'v=spf1 mx include:spf-a.providers.test '
const SECOND = 'include:spf-b.providers.test -all'
const CLEANED = ['v=spf1 mx ', 'include:spf-b.providers.test include:spf-t.providers.test -all']
const quoted = (strings: string[]) => strings.map((s) => `"${s}"`).join(' ')

function config(zone: string, server: DnsServer, key: TsigKey, nameservers: DnsServer[], resolver: DnsServer): string {
  const path = join(dir, `${zone}.yaml`)
  writeFileSync(
    path,
    [
      'version: 1',
      `domain: ${zone}`,
      'target: {profile: custom, mx: ["0 mx.providers.test"], spfInclude: spf-t.providers.test}',
      'source: {spfInclude: spf-a.providers.test}',
      'strategy: replace',
      'ttl: {lowered: 1, margin: 0}',
      'cleanup: {soak: 0s}',
      'dns:',
      '  host: rfc2136',
      `  rfc2136: {server: "${serverLabel(server)}", key: {name: ${key.name}, algorithm: ${key.algorithm}, secret: env:MXCUT_LAB_TSIG}}`,
      `  nameservers: [${nameservers.map((s) => `"${serverLabel(s)}"`).join(', ')}]`,
      `resolvers: ["${serverLabel(resolver)}"]`,
      '',
    ].join('\n'),
  )
  return path
}

async function txtOn(server: DnsServer, zone: string): Promise<unknown[]> {
  const r = await query(server, zone, 'TXT', {recursion: false, timeoutMs: 1000, retries: 2})
  expect(r.aa, serverLabel(server)).toBe(true)
  return r.answers.filter((a) => a.type === 'TXT').map((a) => (a.data as Buffer[]).map((b) => b.toString()))
}

/** plan, then run --yes to the end: every step done, every server serving the target MX and the cleaned SPF in its two strings. */
async function cutover(zone: string, cfg: string, secret: string, servers: DnsServer[]): Promise<{planned: string; run: string}> {
  const env = {MXCUT_LAB_TSIG: secret}
  const plan = join(dir, `${zone}.plan.json`)
  // Only the zone is served here (the includes' providers are not): no audit, as for a zone on its own.
  const planned = await runCli(['plan', cfg, '--out', plan, '--no-audit'], {env})
  expect(planned.code, planned.stderr + planned.stdout).toBe(0)
  expect(planned.stdout).toContain(`- ${zone}. 2 IN TXT ${quoted([FIRST, SECOND])}`)
  const run = await runCli(['run', plan, '--yes'], {env, timeoutMs: 100_000})
  expect(run.code, run.stderr + run.stdout).toBe(0)
  expect(run.stdout + run.stderr).not.toMatch(/changed while the update was sent|NXRRSET/)
  const state = readPlan(plan)
  expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
  for (const server of servers) {
    expect(await mxOn(server, zone), serverLabel(server)).toEqual({ttl: 3, records: ['0 mx.providers.test']})
    expect(await txtOn(server, zone), serverLabel(server)).toEqual([CLEANED])
  }
  return {planned: planned.stdout, run: run.stdout + run.stderr}
}

const zoneRecords = (zone: string) => ['@ 3 IN MX 10 mail', 'mail 60 IN A 127.0.0.25', `@ 2 IN TXT ${quoted([FIRST, SECOND])}`].map((l) => l.replace('mail 60', `mail.${zone}. 60`))

describe.runIf(knotAvailable())('a cutover through rfc2136 against Knot DNS (primary and secondary)', () => {
  const zone = 'split-spf-knot.test'
  let knot: Knot
  let resolver: StubResolver

  beforeAll(async () => {
    knot = await startKnot([{name: zone, ttl: 60, minimum: 2, serial: 100, records: zoneRecords(zone)}])
    resolver = await startStubResolver(zone, knot.primary)
  })
  afterAll(async () => {
    await resolver?.stop()
    await knot?.stop()
  })

  test('plan, run --yes: Knot primary and secondary serve the target MX and the SPF still in two strings', {timeout: 120_000}, async () => {
    for (const server of [knot.primary, knot.secondary]) expect(await txtOn(server, zone)).toEqual([[FIRST, SECOND]])
    const cfg = config(zone, knot.primary, knot.tsig.sha256, [knot.primary, knot.secondary], resolver.server)
    await cutover(zone, cfg, knot.tsig.sha256.secret, [knot.primary, knot.secondary])
  })
})

describe.runIf(pdnsAvailable())('a cutover through rfc2136 against PowerDNS (dnsupdate=yes) with a BIND secondary', () => {
  const zone = 'split-spf-pdns-update.test'
  const key = newKey('mxcut-pdns-update', 'hmac-sha256')
  let pdns: Pdns
  let secondary: BindSecondary
  let resolver: StubResolver

  beforeAll(async () => {
    const secondaryPort = await freePort()
    // A short cycle keeps the test quick; the lag it causes is the one the run must name.
    pdns = await startPdns({dnsupdate: true, alsoNotify: [`127.0.0.1:${secondaryPort}`], xfrCycleInterval: 4})
    await pdns.createZone(zone, [
      {name: zone, type: 'MX', ttl: 3, contents: [`10 mail.${zone}.`]},
      {name: `mail.${zone}`, type: 'A', ttl: 60, contents: ['127.0.0.25']},
      {name: zone, type: 'TXT', ttl: 2, contents: [quoted([FIRST, SECOND])]},
    ])
    await pdns.allowUpdates(zone, key)
    secondary = await startBindSecondary([zone], pdns.dns, secondaryPort)
    resolver = await startStubResolver(zone, pdns.dns)
  })
  afterAll(async () => {
    await resolver?.stop()
    await secondary?.stop()
    await pdns?.stop()
  })

  test('a wrong TSIG key: exit 2 before anything is marked, one line naming the key; plan and zone untouched', {timeout: 60_000}, async () => {
    const cfg = config(zone, pdns.dns, key, [pdns.dns, secondary.server], resolver.server)
    const plan = join(dir, `${zone}.wrong-key.plan.json`)
    const planned = await runCli(['plan', cfg, '--out', plan, '--no-audit'], {env: {MXCUT_LAB_TSIG: key.secret}})
    expect(planned.code, planned.stderr).toBe(0)
    const before = readFileSync(plan, 'utf8')
    const wrong = Buffer.alloc(32, 7).toString('base64')
    const run = await runCli(['run', plan, '--yes'], {env: {MXCUT_LAB_TSIG: wrong}})
    expect(run.code, run.stdout + run.stderr).toBe(2)
    const lines = run.stderr.trim().split('\n')
    expect(lines, run.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`answered NOTAUTH without a signature to a message signed with TSIG key '${key.name}' \\(hmac-sha256\\): it does not accept this key`))
    expect(run.stdout + run.stderr).not.toContain(wrong)
    expect(readFileSync(plan, 'utf8')).toBe(before)
    expect(readPlan(plan).steps.every((s) => s.status === 'pending')).toBe(true)
    expect(journalEvents(plan, 'host-check-failed')).toHaveLength(1)
    expect(journalEvents(plan, 'intent')).toHaveLength(0)
    expect(await txtOn(pdns.dns, zone)).toEqual([[FIRST, SECOND]])
  })

  test('plan (the review says PowerDNS NOTIFYs late), run --yes: the lagging secondary is named while the run waits; every server ends with the split SPF', {timeout: 150_000}, async () => {
    const cfg = config(zone, pdns.dns, key, [pdns.dns, secondary.server], resolver.server)
    const {planned, run} = await cutover(zone, cfg, key.secret, [pdns.dns, secondary.server])
    expect(planned).toMatch(/PowerDNS at 127\.0\.0\.1:\d+ sends NOTIFY for a change only at its next xfr-cycle-interval check \(60 s by default\)/)
    expect(run).toMatch(new RegExp(`${serverLabel(secondary.server).replace(/\./g, '\\.')} still serves the old records: PowerDNS at 127\\.0\\.0\\.1:${pdns.dns.port} sends NOTIFY`))
  })
})

describe('rfc2136 host against servers that take no UPDATE', () => {
  const key = newKey('mxcut-any', 'hmac-sha256')
  const change = (zone: string) => [{action: 'replace' as const, name: zone, type: 'MX', ttl: 60, records: [{priority: 0, exchange: 'mx.providers.test'}]}]
  function host(server: DnsServer, zone: string) {
    process.env.MXCUT_LAB_TSIG_NONE = key.secret
    return createHost(
      {host: 'rfc2136', rfc2136: {server: serverLabel(server), key: {name: key.name, algorithm: 'hmac-sha256', secret: 'env:MXCUT_LAB_TSIG_NONE'}}},
      {zone, client: createDnsClient(), authServers: [], print: () => {}},
    )
  }
  async function failure(p: Promise<unknown>): Promise<DnsHostError> {
    const err = await p.then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(DnsHostError)
    expect((err as Error).message).not.toMatch(/not signed|\n/)
    return err as DnsHostError
  }

  test.runIf(nsdAvailable())('NSD (which implements no UPDATE, as a secondary may not) answers NOTIMP unsigned: "does not implement DNS UPDATE"', async () => {
    const nsd = await startNsd([{name: 'no-update.test', records: ['@ 60 IN MX 10 mail.no-update.test.']}])
    try {
      const err = await failure(host(nsd.server, 'no-update.test').apply(change('no-update.test')))
      expect(err.kind).toBe('not-supported')
      expect(err.message).toMatch(/does not implement DNS UPDATE for zone no-update\.test \(NOTIMP\): it may be a secondary/)
    } finally {
      await nsd.stop()
    }
  })

  test.runIf(pdnsAvailable())('PowerDNS without dnsupdate=yes answers REFUSED unsigned: the refusal says updates may be off there', async () => {
    const pdns = await startPdns()
    try {
      await pdns.createZone('no-update.test', [{name: 'no-update.test', type: 'MX', ttl: 60, contents: ['10 mail.no-update.test.']}])
      const err = await failure(host(pdns.dns, 'no-update.test').apply(change('no-update.test')))
      expect(err.kind).toBe('rejected')
      expect(err.message).toMatch(/refused the update to zone no-update\.test, without signing its answer: .*PowerDNS: dnsupdate=yes/)
    } finally {
      await pdns.stop()
    }
  })
})
