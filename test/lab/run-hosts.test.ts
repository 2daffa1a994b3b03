import {readFileSync, writeFileSync, mkdtempSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {parseJson, runCli, type CliResult} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, readJournalLines, readPlan, serialOn, TARGET_MX, writeConfig} from '../run/lab-plan.js'
import {startStubResolver, type StubResolver} from '../run/stub-resolver.js'
import {startLab, type Lab} from './lab.js'
import {pdnsAvailable, startPdns, type Pdns} from './pdns.js'

/**
 * The runner through each DNS host against real servers: a full cutover
 * through the PowerDNS API (pdns_server, gsqlite3), and a run with a wrong
 * TSIG secret against BIND that must change neither the zone nor the plan.
 * Every output, plan file and journal of these runs is grepped for secrets.
 */
const dir = mkdtempSync(join(tmpdir(), 'mxcut-run-hosts-'))

function noSecretIn(secrets: string[], texts: string[]): void {
  for (const secret of secrets) {
    for (const text of texts) expect(text.includes(secret), `a secret appears in: ${text.slice(0, 200)}`).toBe(false)
  }
}

function artefacts(plan: string): string[] {
  const journal = plan.replace(/\.json$/, '.journal.ndjson')
  return [readFileSync(plan, 'utf8'), ...(existsSync(journal) ? [readFileSync(journal, 'utf8')] : [])]
}

const outputs = (...rs: CliResult[]) => rs.flatMap((r) => [r.stdout, r.stderr])

describe.runIf(pdnsAvailable())('mxcut run through the powerdns host', () => {
  const zone = 'pdns-cut.test'
  let pdns: Pdns
  let resolver: StubResolver

  beforeAll(async () => {
    pdns = await startPdns()
    await pdns.createZone(zone, [
      {name: zone, type: 'MX', ttl: 8, contents: [`10 mail.${zone}.`]},
      {name: `mail.${zone}`, type: 'A', ttl: 60, contents: ['127.0.0.25']},
      {name: zone, type: 'TXT', ttl: 60, contents: ['"v=spf1 mx -all"']},
    ])
    resolver = await startStubResolver(zone, pdns.dns)
  })
  afterAll(async () => {
    await resolver?.stop()
    await pdns?.stop()
  })

  const served = (s: DnsServer) => `${s.address}:${s.port}`

  async function mxViaApi(): Promise<{ttl: number; records: string[]} | null> {
    const res = await pdns.api('GET', `/zones/${zone}.`)
    const body = (await res.json()) as {rrsets: Array<{name: string; type: string; ttl: number; records: Array<{content: string}>}>}
    const mx = body.rrsets.find((r) => r.name === `${zone}.` && r.type === 'MX')
    return mx ? {ttl: mx.ttl, records: mx.records.map((r) => r.content).sort()} : null
  }

  test('plan, then run --yes: TTL 8 s lowered to 2 s, the target MX served by PowerDNS, TTL restored', {timeout: 120_000}, async () => {
    const env = {MXCUT_LAB_PDNS_KEY: pdns.apiKey}
    const config = writeConfig(dir, zone, {
      lowered: 2,
      margin: 1,
      dnsLines: [
        'dns:',
        '  host: powerdns',
        `  powerdns: {url: "${pdns.apiUrl}", apiKey: env:MXCUT_LAB_PDNS_KEY}`,
        `  nameservers: ["${served(pdns.dns)}"]`,
        `resolvers: ["${served(resolver.server)}"]`,
      ],
    })
    const plan = join(dir, `${zone}.plan.json`)
    const planned = await runCli(['plan', config, '--out', plan, '--no-audit'], {env})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    const serialBefore = await serialOn(pdns.dns, zone)
    // The resolver holds the old MX, so verification waits for its cache as in the real world.
    await query(resolver.server, zone, 'MX', {timeoutMs: 1000})

    // A wrong API key first: refused before anything is touched, one line naming the key's reference.
    const planBytes = readFileSync(plan)
    const wrongKey = `wrong-${pdns.apiKey}`
    const refused = await runCli(['run', plan, '--yes'], {env: {MXCUT_LAB_PDNS_KEY: wrongKey}})
    expect(refused.code, refused.stdout + refused.stderr).toBe(2)
    expect(refused.stderr).toMatch(/^mxcut: PowerDNS API at .* refused the API key from env:MXCUT_LAB_PDNS_KEY \(HTTP 401\).*\n$/)
    expect(readFileSync(plan).equals(planBytes), 'the plan file changed').toBe(true)
    expect(await serialOn(pdns.dns, zone)).toBe(serialBefore)

    const run = await runCli(['run', plan, '--yes'], {env, timeoutMs: 100_000})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    expect(run.stdout).toMatch(/cutover complete/)

    // What counts: the authoritative answer (RD=0), and the API agrees.
    expect(await mxOn(pdns.dns, zone)).toEqual({ttl: 8, records: [`0 ${TARGET_MX}`]})
    const aa = await query(pdns.dns, zone, 'MX', {recursion: false, timeoutMs: 1000})
    expect(aa.aa).toBe(true)
    expect(await mxViaApi()).toEqual({ttl: 8, records: [`0 ${TARGET_MX}.`]})
    expect((await serialOn(pdns.dns, zone)) ?? 0).toBeGreaterThan(serialBefore ?? 0)

    const state = readPlan(plan)
    expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
    const journal = readJournalLines(plan)
    const intents = journal.filter((e) => e.event === 'intent')
    expect(intents.map((e) => [e.step, e['host']])).toEqual([
      ['lower-ttl', 'powerdns'],
      ['swap-mx', 'powerdns'],
      ['restore-ttl', 'powerdns'],
    ])
    expect(journal.filter((e) => e.event === 'outcome').map((e) => e['result'])).toEqual(['applied', 'applied', 'applied'])
    const status = await runCli(['status', plan, '--json'])
    expect(parseJson<{state: string}>(status).state).toBe('done')

    noSecretIn([pdns.apiKey, wrongKey], [...outputs(planned, refused, run, status), ...artefacts(plan), readFileSync(config, 'utf8')])
  })
})

describe('mxcut run with a wrong TSIG secret (rfc2136, BIND)', () => {
  let lab: Lab
  const zone = 'wrongkey.test'

  beforeAll(async () => {
    lab = await startLab({zones: [cutoverZone(zone, 3)], resolvers: [{}]})
  })
  afterAll(async () => lab?.stop())

  test('exits 2 with one line naming the key; zone on both servers and plan file unchanged; the right key then completes', {timeout: 120_000}, async () => {
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const planBytes = readFileSync(plan)
    const before = {
      primary: {serial: await serialOn(lab.primary, zone), mx: await mxOn(lab.primary, zone)},
      secondary: {serial: await serialOn(lab.secondary, zone), mx: await mxOn(lab.secondary, zone)},
    }
    expect(before.primary).toEqual(before.secondary)
    expect(before.primary.mx).toEqual({ttl: 3, records: [`10 mail.${zone}`]})

    // Same length and encoding as the real one, different bytes: the server answers BADSIG.
    const secret = lab.tsig.sha256.secret
    const wrong = Buffer.from(Buffer.from(secret, 'base64').map((b) => b ^ 0x5a)).toString('base64')
    const bad = await runCli(['run', plan, '--yes'], {env: {MXCUT_LAB_TSIG: wrong}})
    expect(bad.code, bad.stdout + bad.stderr).toBe(2)
    const lines = bad.stderr.split('\n').filter((l) => l !== '')
    expect(lines, bad.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^mxcut: .*TSIG key '${lab.tsig.sha256.name}'.*BADSIG`))
    expect(bad.stderr).not.toMatch(/\n\s+at |Error:/)

    for (const [server, was] of [
      [lab.primary, before.primary],
      [lab.secondary, before.secondary],
    ] as const) {
      expect(await serialOn(server, zone)).toBe(was.serial)
      expect(await mxOn(server, zone)).toEqual(was.mx)
    }
    expect(readFileSync(plan).equals(planBytes), 'the plan file changed').toBe(true)
    expect(existsSync(plan.replace(/\.json$/, '.lock'))).toBe(false)

    // The journal records the attempt and nothing else happened: no step started, no intent.
    const attempt = readJournalLines(plan)
    expect(attempt.map((e) => e.event)).toEqual(['run-start', 'host-check-failed'])
    expect(attempt[1]).toMatchObject({host: 'rfc2136', errorKind: 'auth'})

    const status = await runCli(['status', plan, '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(parseJson<{state: string; next: {id: string} | null}>(status)).toMatchObject({state: 'planned', next: {id: 'preflight'}})

    const good = await runCli(['run', plan, '--yes'], {env: labEnv(lab), timeoutMs: 100_000})
    expect(good.code, good.stderr + good.stdout).toBe(0)
    expect(good.stdout).toMatch(/cutover complete/)
    for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 3, records: [`0 ${TARGET_MX}`]})
    const applied = readJournalLines(plan)
      .filter((e) => e.event === 'outcome' && e['result'] === 'applied')
      .map((e) => e.step)
    expect(applied).toEqual(['lower-ttl', 'swap-mx', 'restore-ttl'])

    const secretHex = Buffer.from(secret, 'base64').toString('hex')
    noSecretIn([secret, wrong, secretHex], [...outputs(bad, status, good), ...artefacts(plan)])
  })
})
