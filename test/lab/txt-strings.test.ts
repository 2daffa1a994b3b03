import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {serverLabel, type DnsServer} from '../../src/dns/server.js'
import {runCli} from '../helpers/cli.js'
import {labEnv, mxOn, readJournalLines, readPlan, rfc2136Lines} from '../run/lab-plan.js'
import {startStubResolver, type StubResolver} from '../run/stub-resolver.js'
import {startLab, type Lab} from './lab.js'
import {pdnsAvailable, startPdns, type Pdns} from './pdns.js'

/**
 * A cutover of a domain whose SPF record is published as two character-strings,
 * as long SPF records often are: the SPF include of the target is merged in
 * (publish-companions) and the source's dropped after the soak (cleanup), each
 * through a conditional update that names the record as the server holds it.
 * Afterwards every authoritative server must serve the new SPF still split, and
 * dig (not mxcut's own parser) must see those strings.
 */
const dir = mkdtempSync(join(tmpdir(), 'mxcut-txt-strings-'))

const FIRST = 'v=spf1 mx include:spf-a.providers.test '
const SECOND = 'include:spf-b.providers.test -all'
const MERGED = [FIRST, 'include:spf-b.providers.test include:spf-t.providers.test -all']
const CLEANED = ['v=spf1 mx ', 'include:spf-b.providers.test include:spf-t.providers.test -all']
const quoted = (strings: string[]) => strings.map((s) => `"${s}"`).join(' ')

function config(zone: string, lines: string[]): string {
  const path = join(dir, `${zone}.yaml`)
  writeFileSync(
    path,
    [
      'version: 1',
      `domain: ${zone}`,
      'target:',
      '  profile: custom',
      '  mx: ["0 mx.providers.test"]',
      '  spfInclude: spf-t.providers.test',
      'source: {spfInclude: spf-a.providers.test}',
      'strategy: replace',
      'ttl: {lowered: 1, margin: 0}',
      'cleanup: {soak: 0s}',
      ...lines,
      '',
    ].join('\n'),
  )
  return path
}

/** The strings of each TXT record at the apex, as the server answers (RD=0). */
async function txtOn(server: DnsServer, zone: string): Promise<unknown[]> {
  const r = await query(server, zone, 'TXT', {recursion: false, timeoutMs: 1000, retries: 2})
  expect(r.aa).toBe(true)
  return r.answers.filter((a) => a.type === 'TXT').map((a) => a.data)
}

/** dig's view of the apex TXT: one line per record, each string quoted. */
function digTxt(server: DnsServer, zone: string): string[] {
  const out = execFileSync('dig', ['+short', '+norecurse', '+time=1', '+tries=2', '-p', String(server.port), `@${server.address}`, zone, 'TXT'], {encoding: 'utf8'})
  return out.split('\n').filter((l) => l.trim() !== '')
}

/** What the review and the plan file must show of the split. */
function expectSplitInPlan(planPath: string, review: string, zone: string): void {
  expect(review).toContain(`- ${zone}. 2 IN TXT ${quoted([FIRST, SECOND])}`)
  expect(review).toContain(`+ ${zone}. 2 IN TXT ${quoted(MERGED)}`)
  expect(review).toContain(`+ ${zone}. 2 IN TXT ${quoted(CLEANED)}`)
  const plan = readPlan(planPath)
  const txt = (id: string) => plan.steps.find((s) => s.id === id)?.changes?.find((c) => c.type === 'TXT')
  expect(txt('publish-companions')).toMatchObject({before: {records: [[FIRST, SECOND]]}, after: {records: [MERGED]}})
  expect(txt('cleanup')).toMatchObject({before: {records: [MERGED]}, after: {records: [CLEANED]}})
  // The stored rollback puts the record back exactly as it was served.
  const withdraw = (plan.rollbackPlan?.optional ?? []).flatMap((s) => s.changes ?? []).find((c) => c.type === 'TXT')
  expect(withdraw?.after?.records).toEqual([[FIRST, SECOND]])
}

describe('a TXT record split into two strings, through rfc2136 against BIND', () => {
  const zone = 'split-spf.test'
  let lab: Lab

  beforeAll(async () => {
    lab = await startLab({
      zones: [
        {
          name: zone,
          dynamic: true,
          ttl: 60,
          minimum: 2,
          serial: 100,
          records: ['@ 3 IN MX 10 mail', 'mail 60 IN A 127.0.0.25', `@ 2 IN TXT ${quoted([FIRST, SECOND])}`],
        },
        {
          name: 'providers.test',
          ttl: 60,
          minimum: 2,
          records: [
            'mx 60 IN A 127.0.0.26',
            'spf-a 60 IN TXT "v=spf1 ip4:192.0.2.1 -all"',
            'spf-b 60 IN TXT "v=spf1 ip4:192.0.2.2 -all"',
            'spf-t 60 IN TXT "v=spf1 ip4:192.0.2.3 -all"',
          ],
        },
      ],
      resolvers: [{}],
    })
  })
  afterAll(async () => lab?.stop())

  test('plan (the review shows the split), run --yes to the end: both servers serve the merged, then cleaned SPF, still in two strings', {timeout: 120_000}, async () => {
    for (const server of [lab.primary, lab.secondary]) expect(await txtOn(server, zone)).toEqual([[FIRST, SECOND]])
    const cfg = config(zone, rfc2136Lines(lab))
    const plan = join(dir, `${zone}.plan.json`)
    const planned = await runCli(['plan', cfg, '--out', plan, '--format', 'md'], {env: labEnv(lab)})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    expectSplitInPlan(plan, planned.stdout, zone)
    // The audit read the SPF through its strings joined: the include chain counted, nothing reported broken.
    expect(planned.stdout).not.toMatch(/SPF_SYNTAX|SPF_INCLUDE_BROKEN|SPF_MULTIPLE/)
    expect(planned.stdout).toMatch(/The merged SPF record needs 4 of at most 10 DNS lookups/)

    const run = await runCli(['run', plan, '--yes'], {env: labEnv(lab), timeoutMs: 100_000})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    expect(run.stdout + run.stderr).not.toMatch(/changed while the update was sent|NXRRSET/)
    const state = readPlan(plan)
    expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
    const applied = readJournalLines(plan).filter((e) => e.event === 'outcome' && e['result'] === 'applied').map((e) => e.step)
    expect(applied).toEqual(['publish-companions', 'lower-ttl', 'swap-mx', 'restore-ttl', 'cleanup'])

    for (const server of [lab.primary, lab.secondary]) {
      expect(await mxOn(server, zone)).toEqual({ttl: 3, records: ['0 mx.providers.test']})
      expect(await txtOn(server, zone), serverLabel(server)).toEqual([CLEANED])
      expect(digTxt(server, zone), serverLabel(server)).toEqual([quoted(CLEANED)])
    }
  })
})

describe.runIf(pdnsAvailable())('a TXT record split into two strings, through the PowerDNS API', () => {
  const zone = 'split-spf-pdns.test'
  let pdns: Pdns
  let resolver: StubResolver

  beforeAll(async () => {
    pdns = await startPdns()
    await pdns.createZone(zone, [
      {name: zone, type: 'MX', ttl: 3, contents: [`10 mail.${zone}.`]},
      {name: `mail.${zone}`, type: 'A', ttl: 60, contents: ['127.0.0.25']},
      {name: zone, type: 'TXT', ttl: 2, contents: [quoted([FIRST, SECOND])]},
    ])
    resolver = await startStubResolver(zone, pdns.dns)
  })
  afterAll(async () => {
    await resolver?.stop()
    await pdns?.stop()
  })

  test('plan, run --yes to the end: PowerDNS serves the merged, then cleaned SPF in two strings, and its API holds them', {timeout: 120_000}, async () => {
    const env = {MXCUT_LAB_PDNS_KEY: pdns.apiKey}
    const cfg = config(zone, [
      'dns:',
      '  host: powerdns',
      `  powerdns: {url: "${pdns.apiUrl}", apiKey: env:MXCUT_LAB_PDNS_KEY}`,
      `  nameservers: ["${serverLabel(pdns.dns)}"]`,
      `resolvers: ["${serverLabel(resolver.server)}"]`,
    ])
    const plan = join(dir, `${zone}.plan.json`)
    // Only the zone is served here (the includes' providers are not): no audit, as for a zone on its own.
    const planned = await runCli(['plan', cfg, '--out', plan, '--format', 'md', '--no-audit'], {env})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    expectSplitInPlan(plan, planned.stdout, zone)

    const run = await runCli(['run', plan, '--yes'], {env, timeoutMs: 100_000})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const state = readPlan(plan)
    expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))

    expect(await txtOn(pdns.dns, zone)).toEqual([CLEANED])
    expect(digTxt(pdns.dns, zone)).toEqual([quoted(CLEANED)])
    const res = await pdns.api('GET', `/zones/${zone}.`)
    const body = (await res.json()) as {rrsets: Array<{name: string; type: string; records: Array<{content: string}>}>}
    expect(body.rrsets.find((r) => r.name === `${zone}.` && r.type === 'TXT')?.records.map((r) => r.content)).toEqual([quoted(CLEANED)])
  })
})
