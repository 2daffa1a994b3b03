import {randomInt} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import type {DrillReport} from '../../src/audit/drill.js'
import type {AuditReport} from '../../src/audit/types.js'
import {query} from '../../src/dns/client.js'
import {serverLabel} from '../../src/dns/server.js'
import {planStateSchema} from '../../src/state/schema.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startSmtpListener, type SmtpListener} from '../helpers/smtp.js'
import {createTestCa} from '../helpers/tls.js'
import {journalEvents, labEnv, mxOn, rfc2136Lines, serialOn, until} from '../run/lab-plan.js'
import {startLab, type Lab, type LabZone} from './lab.js'

/**
 * Mail continuity over the wire: real SMTP listeners on port 25 of loopback
 * addresses of our own, the domain's DNS in BIND, resolvers in Unbound. A
 * domain with three MX hosts (one accepts, one defers, one refuses) is seen
 * the same way by `mxcut audit`, by the pre-flight of `mxcut run` and by
 * `mxcut drill`.
 */

const S = `127.55.${randomInt(0, 256)}`
const MX1 = `${S}.1`
const MX2 = `${S}.2`
const MX3 = `${S}.3`
const TARGET = `${S}.10`
/** The source host of the run tests, and a target that starts refusing between plan and swap. */
const SOURCE = `${S}.20`
const FLIP = `${S}.21`
/** cache-min-ttl of the clamping resolver: it holds an MX published with TTL 1 s for this long. */
const CLAMP = 10
const reverseZone = `${S.split('.').reverse().join('.')}.in-addr.arpa`

/** A domain to cut over: MX TTL 2 s, its source host a listener that accepts, SPF with the source's include (dropped by the cleanup). */
function cutover(name: string): LabZone {
  return {name, dynamic: true, ttl: 60, minimum: 2, serial: 100, records: ['@ 2 IN MX 10 mail', `mail 60 IN A ${SOURCE}`, '@ 1 IN TXT "v=spf1 include:spf.source.test -all"']}
}

/** A replace plan to a custom target, made by the real `mxcut plan` (without the SMTP probe of the audit, as is the default). */
async function planCutover(zone: string, targetHost: string, o: {margin: number; cleanup: boolean}): Promise<string> {
  const config = join(dir, `${zone}.yaml`)
  writeFileSync(
    config,
    [
      'version: 1',
      `domain: ${zone}`,
      'target:',
      '  profile: custom',
      `  mx: ["0 ${targetHost}"]`,
      '  spfInclude: spf.target.test',
      'source: {spfInclude: spf.source.test}',
      `ttl: {lowered: 1, margin: ${o.margin}}`,
      o.cleanup ? 'cleanup: {enabled: true, soak: 0}' : 'cleanup: {enabled: false}',
      ...rfc2136Lines(lab),
      '',
    ].join('\n'),
  )
  const planPath = join(dir, `${zone}.plan.json`)
  const made = await runCli(['plan', config, '--out', planPath, '--no-audit'], {env: labEnv(lab)})
  if (made.code !== 0) throw new Error(`mxcut plan failed (${made.code}): ${made.stderr}\n${made.stdout}`)
  return planPath
}

/** Dynamic, so the rfc2136 host can run a plan on it; every host has a forward-confirmed PTR. */
function mailZone(name: string, mx: string[]): LabZone {
  return {name, dynamic: true, ttl: 60, minimum: 2, serial: 100, records: [...mx, '@ 60 IN TXT "v=spf1 mx -all"', `_dmarc 60 IN TXT "v=DMARC1; p=none"`]}
}

let lab: Lab
let flip: SmtpListener
const listeners: SmtpListener[] = []
let caFile = ''
const dir = mkdtempSync(join(tmpdir(), 'mxcut-continuity-'))

beforeAll(async () => {
  const ca = createTestCa()
  caFile = ca.caFile
  const cert = ca.issue(['mx1.three.test', 'mx2.three.test', 'mx3.three.test', 'mx.target.test'])
  listeners.push(
    await startSmtpListener(MX1, 'accept', 25, {tls: cert}),
    await startSmtpListener(MX2, 'tempfail-rcpt', 25),
    await startSmtpListener(MX3, 'reject-rcpt', 25, {tls: cert}),
    await startSmtpListener(TARGET, 'accept', 25, {tls: cert}),
    await startSmtpListener(SOURCE, 'accept', 25),
  )
  flip = await startSmtpListener(FLIP, 'accept', 25)
  lab = await startLab({
    zones: [
      mailZone('three.test', ['@ 5 IN MX 10 mx1', '@ 5 IN MX 20 mx2', '@ 5 IN MX 30 mx3', `mx1 IN A ${MX1}`, `mx2 IN A ${MX2}`, `mx3 IN A ${MX3}`]),
      {name: 'target.test', records: [`mx 60 IN A ${TARGET}`, `flip 60 IN A ${FLIP}`, 'spf 60 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"']},
      {name: 'nomx.test', records: [`@ 60 IN A ${MX1}`]},
      {name: 'nullmx.test', records: ['@ 60 IN MX 0 .']},
      cutover('flip.test'),
      cutover('gw.test'),
      // A stand-in for the gateway's inbound hosts, served on loopback like every name in the lab.
      {name: 'mimecast.com', records: [`eu-smtp-inbound-1 60 IN A ${TARGET}`, '_netblocks 60 IN TXT "v=spf1 ip4:127.0.0.0/8 ~all"']},
      cutover('clamp.test'),
      {name: reverseZone, records: ['1 IN PTR mx1.three.test.', '2 IN PTR mx2.three.test.', '3 IN PTR mx3.three.test.', '10 IN PTR mx.target.test.', '21 IN PTR flip.target.test.']},
    ],
    // The second resolver clamps TTLs like Unbound with cache-min-ttl (or Knot Resolver's 5 s minimum).
    resolvers: [{}, {cacheMinTtl: CLAMP}],
  })
}, 60_000)

afterAll(async () => {
  await Promise.all([...listeners, flip].map((l) => l?.close()))
  await lab?.stop()
})

const resolver = () => serverLabel(lab.resolvers[0])
const env = () => ({NODE_EXTRA_CA_CERTS: caFile})
const sessions = () => listeners.map((l) => l.sessions.length)

describe('a backup MX that refuses the domain', () => {
  test('mxcut drill: one SMTP session per host, accept / defer / bounce in priority order, exit 1 (text and --json)', {timeout: 60_000}, async () => {
    const before = sessions()
    const json = await runCli(['drill', 'three.test', '--resolver', resolver(), '--probe-timeout', '2000', '--json'], {env: env()})
    const opened = sessions().map((n, i) => n - before[i]).slice(0, 4)
    expect(json.code, json.stderr).toBe(1)
    const report = parseJson<DrillReport>(json)
    expect(report).toMatchObject({domain: 'three.test', wouldBounce: true, mx: 'listed'})
    expect(report.hosts).toEqual([
      {priority: 10, exchange: 'mx1.three.test', address: MX1, result: 'accept', stage: 'rcpt', reply: '250 2.1.5 Recipient OK', starttls: true, certificateMatches: true},
      {priority: 20, exchange: 'mx2.three.test', address: MX2, result: 'defer', stage: 'rcpt', reply: '451 4.7.1 Greylisted, try again later', starttls: false, certificateMatches: null},
      {priority: 30, exchange: 'mx3.three.test', address: MX3, result: 'bounce', stage: 'rcpt', reply: '554 5.7.1 <postmaster@three.test>: Relay access denied', starttls: true, certificateMatches: true},
    ])
    // Three hosts with one address each: three sessions, one at each host, none at the target.
    expect(opened).toEqual([1, 1, 1, 0])
    process.stdout.write(`[mail-continuity] drill of a 3-host domain opened ${opened.reduce((a, b) => a + b, 0)} SMTP sessions (${opened.slice(0, 3).join(' + ')})\n`)
    for (const l of listeners.slice(0, 3)) expect(l.sessions.at(-1)).toEqual(expect.arrayContaining(['MAIL FROM:<>', 'RCPT TO:<postmaster@three.test>', 'QUIT']))
    expect(listeners.flatMap((l) => l.sessions.flat()).filter((l) => /^DATA/i.test(l))).toEqual([])

    const text = await runCli(['drill', 'three.test', '--resolver', resolver(), '--probe-timeout', '2000'], {env: env()})
    expect(text.code, text.stderr).toBe(1)
    process.stdout.write(`[mail-continuity] mxcut drill three.test:\n${text.stdout}\n`)
    expect(text.stdout).toMatch(/^three\.test: 3 MX hosts; each probed alone/)
    expect(text.stdout).toMatch(/10 +mx1\.three\.test +\S+ +accept +250 2\.1\.5 Recipient OK +STARTTLS, certificate matches/)
    expect(text.stdout).toMatch(/20 +mx2\.three\.test +\S+ +defer +451 4\.7\.1 Greylisted, try again later +no TLS/)
    expect(text.stdout).toMatch(/30 +mx3\.three\.test +\S+ +bounce +554 5\.7\.1 <postmaster@three\.test>: Relay access denied/)
    expect(text.stdout).toContain("Senders deliver to mx1.three.test (10): it accepts the domain's mail.")
    expect(text.stdout).toContain("If mx1.three.test (10) does not answer, senders deliver to mx2.three.test (20): it defers it (451 4.7.1 Greylisted, try again later): the mail waits in the senders' queues and is retried.")
    expect(text.stdout).toContain('If mx2.three.test (20) does not answer either, senders deliver to mx3.three.test (30): it refuses the domain (554 5.7.1 <postmaster@three.test>: Relay access denied): the mail bounces back to its senders.')
    expect(text.stdout).toMatch(/Would bounce: mx3\.three\.test refuses mail for three\.test/)
  })

  test('mxcut drill: a domain without MX is drilled at its own address, a null MX has nothing to drill, bad input is one line', {timeout: 60_000}, async () => {
    const implicit = await runCli(['drill', 'nomx.test', '--resolver', resolver(), '--probe-timeout', '2000', '--json'], {env: env()})
    expect(implicit.code, implicit.stderr).toBe(0)
    expect(parseJson<DrillReport>(implicit)).toMatchObject({mx: 'implicit', wouldBounce: false, hosts: [{priority: 0, exchange: 'nomx.test', address: MX1, result: 'accept'}]})
    const nullMx = await runCli(['drill', 'nullmx.test', '--resolver', resolver()], {env: env()})
    expect(nullMx.code, nullMx.stderr).toBe(0)
    expect(nullMx.stdout).toMatch(/nullmx\.test publishes a null MX \(RFC 7505\): it accepts no mail, so there is nothing to drill/)
    for (const args of [['bad..domain'], ['nothere.test', '--resolver', resolver()], ['three.test', '--recipient', 'not an address', '--resolver', resolver()]]) {
      const r = await runCli(['drill', ...args])
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(/^mxcut: /)
    }
  })

  test('mxcut audit reports it as MX_BACKUP_REJECTS (exit 1), with every host and address in --json', {timeout: 60_000}, async () => {
    const r = await runCli(['audit', 'three.test', '--resolver', resolver(), '--probe-timeout', '2000', '--json'], {env: env()})
    expect(r.code, r.stderr).toBe(1)
    const report = parseJson<AuditReport>(r)
    expect(report.findings.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['MX_BACKUP_REJECTS', 'error', 'mx3.three.test port 25'],
      ['CHECK_INCOMPLETE', 'warning', 'mx2.three.test port 25'],
    ])
    expect(report.hosts?.map((h) => [h.exchange, h.result, h.ptr?.status])).toEqual([
      ['mx1.three.test', 'accept', 'confirmed'],
      ['mx2.three.test', 'defer', 'confirmed'],
      ['mx3.three.test', 'bounce', 'confirmed'],
    ])
  })

  test("the pre-flight of mxcut run stops on it before any change, plan state valid", {timeout: 60_000}, async () => {
    const config = join(dir, 'three.test.yaml')
    writeFileSync(config, ['version: 1', 'domain: three.test', 'target:', '  profile: custom', '  mx: ["0 mx.target.test"]', '  spfInclude: spf.target.test', 'ttl: {lowered: 1, margin: 0}', 'cleanup: {enabled: false}', ...rfc2136Lines(lab), ''].join('\n'))
    const planPath = join(dir, 'three.test.plan.json')
    const made = await runCli(['plan', config, '--out', planPath, '--smtp'], {env: {...labEnv(lab), ...env()}})
    expect(made.code, made.stderr + made.stdout).toBe(0)
    expect(made.stdout).toMatch(/error MX_BACKUP_REJECTS mx3\.three\.test port 25/)
    const serial = await serialOn(lab.primary, 'three.test')
    const run = await runCli(['run', planPath, '--yes'], {env: {...labEnv(lab), ...env()}})
    expect(run.code, run.stderr + run.stdout).toBe(1)
    expect(run.stdout).toMatch(/stopped at preflight: pre-flight: the audit found 1 error that no later step handles: MX_BACKUP_REJECTS \(mx3\.three\.test port 25\)/)
    expect(run.stdout).toMatch(/Relay access denied/)
    expect(await serialOn(lab.primary, 'three.test')).toBe(serial)
    expect((await mxOn(lab.primary, 'three.test')).records).toEqual(['10 mx1.three.test', '20 mx2.three.test', '30 mx3.three.test'])
    expect(journalEvents(planPath, 'intent')).toEqual([])
    const state = planStateSchema.parse(JSON.parse(readFileSync(planPath, 'utf8')))
    expect(state.steps[0]).toMatchObject({id: 'preflight', status: 'failed', error: expect.stringMatching(/MX_BACKUP_REJECTS/)})
  })
})

interface Status {
  state: string
  decommissionSafeAt: string | null
  keepSource: string | null
  next: {id: string; due: string | null} | null
  steps: Array<{id: string; status: string; notBefore: string | null; startedAt: string | null; finishedAt: string | null}>
}

describe('the run probes the target right before the swap', () => {
  test('a target that starts refusing between plan and swap stops the run before the swap (exit 1, plan state valid); once it accepts, the same plan goes on', {timeout: 90_000}, async () => {
    const planPath = await planCutover('flip.test', 'flip.target.test', {margin: 0, cleanup: false})
    // Days later the domain is removed at the target: it refuses RCPT now.
    await flip.close()
    flip = await startSmtpListener(FLIP, 'reject-rcpt', 25)
    const run = await runCli(['run', planPath, '--yes'], {env: labEnv(lab)})
    expect(run.code, run.stderr + run.stdout).toBe(1)
    expect(run.stdout).toMatch(/stopped at probe-before-swap: probe-before-swap: the target refuses mail for flip\.test: flip\.target\.test \(127\.55\.\d+\.21\): 554 5\.7\.1 <postmaster@flip\.test>: Relay access denied; after the swap that mail would bounce, so nothing was changed/)
    expect(run.stderr).toBe('')
    for (const server of [lab.primary, lab.secondary]) expect((await mxOn(server, 'flip.test')).records).toEqual(['10 mail.flip.test'])
    expect(journalEvents(planPath, 'intent').map((e) => e.step)).toEqual(['publish-companions', 'lower-ttl'])
    const state = planStateSchema.parse(JSON.parse(readFileSync(planPath, 'utf8')))
    expect(state.steps.find((s) => s.id === 'probe-before-swap')).toMatchObject({status: 'failed', error: expect.stringMatching(/refuses mail for flip\.test/)})
    expect(state.steps.find((s) => s.id === 'swap-mx')?.status).toBe('pending')
    const status = parseJson<Status>(await runCli(['status', planPath, '--json']))
    expect(status).toMatchObject({state: 'failed', decommissionSafeAt: null})
    // Fixed at the target: the probe passes and the swap happens.
    await flip.close()
    flip = await startSmtpListener(FLIP, 'accept', 25)
    const resumed = await runCli(['resume', planPath, '--yes', '--until', 'swap-mx'], {env: labEnv(lab)})
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0)
    expect(resumed.stdout).toMatch(/probe-before-swap: 1 of 1 target address accept RCPT TO:<postmaster@flip\.test>/)
    expect((await mxOn(lab.primary, 'flip.test')).records).toEqual(['0 flip.target.test'])
  })
})

describe('the decommission-safe time with a clamping resolver', () => {
  test(`status shows it after the swap, later than swap + published TTL by the clamp (cache-min-ttl ${CLAMP} s); cleanup waits for it`, {timeout: 120_000}, async () => {
    const zone = 'clamp.test'
    const planPath = await planCutover(zone, 'mx.target.test', {margin: 4, cleanup: true})
    const first = await runCli(['run', planPath, '--yes', '--until', 'probe-before-swap'], {env: labEnv(lab)})
    expect(first.code, first.stderr + first.stdout).toBe(0)
    // Senders behind the clamping resolver look the domain up now: it keeps the old MX (TTL 1 s) for CLAMP s.
    // (An entry cached earlier, when the plan was made, is let run out so the cache holds a fresh copy at the swap.)
    await until('the clamping resolver to hold a fresh copy of the old MX', async () => {
      const cached = await query(lab.resolvers[1], zone, 'MX', {timeoutMs: 1000})
      return (cached.answers.find((a) => a.type === 'MX')?.ttl ?? 0) >= CLAMP - 1
    }, (CLAMP + 5) * 1000)
    const swap = await runCli(['resume', planPath, '--yes', '--until', 'confirm-mail-flow'], {env: labEnv(lab)})
    expect(swap.code, swap.stderr + swap.stdout).toBe(0)
    // verify-propagation tells the clamp; the checkpoint no longer promises the lowered TTL.
    expect(swap.stdout).toMatch(/verify-propagation: every authoritative server and 2 resolvers serve the expected MX; (127\.53\.\d+\.11) \(\1\) holds the old MX with \d+ s left although it was published with TTL 1 s/)
    expect(swap.stdout).toMatch(/probe-source: 1 of 1 source address accept mail for clamp\.test; keep it accepting mail until \w{3} \d+ \w{3} \d{4} \d\d:\d\d:\d\d \S+/)
    expect(swap.stdout).toMatch(/keep the source accepting mail until .*\(127\.53\.\d+\.11\) clamps TTLs and may hand out the old MX for \d+ s although it was published with TTL 1 s; margin 4 s/)
    expect(swap.stdout).toMatch(/a rollback would not reach every resolver within the lowered TTL of 1 s: 127\.53\.\d+\.11/)

    const status = parseJson<Status>(await runCli(['status', planPath, '--json']))
    const plan = planStateSchema.parse(JSON.parse(readFileSync(planPath, 'utf8')))
    const swapAt = Date.parse(plan.steps.find((s) => s.id === 'swap-mx')?.finishedAt ?? '')
    const safeAt = Date.parse(status.decommissionSafeAt ?? '')
    const naive = swapAt + (1 + 4) * 1000
    process.stdout.write(`[mail-continuity] swap served everywhere ${new Date(swapAt).toISOString()}; swap + published TTL 1 s + margin 4 s = ${new Date(naive).toISOString()}; decommission-safe ${status.decommissionSafeAt} (${((safeAt - naive) / 1000).toFixed(1)} s later, the clamp of cache-min-ttl ${CLAMP} s)\n`)
    expect(safeAt - naive).toBeGreaterThanOrEqual(2000)
    expect(safeAt - naive).toBeLessThanOrEqual((CLAMP + 1) * 1000)
    // The cleanup (soak 0) is held to the decommission-safe time, like the last probe of the source.
    expect(status.steps.find((s) => s.id === 'cleanup')?.notBefore).toBe(status.decommissionSafeAt)

    const early = await runCli(['resume', planPath, '--yes', '--detach'], {env: labEnv(lab)})
    expect(early.code, early.stderr + early.stdout).toBe(0)
    expect(early.stdout).toMatch(/detached at decommission-check/)
    const held = parseJson<Status>(await runCli(['status', planPath, '--json']))
    expect(held.steps.find((s) => s.id === 'cleanup')?.status).toBe('pending')
    expect(held.next?.id).toBe('decommission-check')
    expect(held.next?.due).toBe(status.decommissionSafeAt)
    const text = await runCli(['status', planPath])
    expect(text.stdout).toMatch(/keep the source accepting mail until \w{3} \d+ \w{3} \d{4} \d\d:\d\d:\d\d \S+/)

    await new Promise((r) => setTimeout(r, Math.max(0, safeAt - Date.now() + 200)))
    const done = await runCli(['resume', planPath, '--yes'], {env: labEnv(lab)})
    expect(done.code, done.stderr + done.stdout).toBe(0)
    expect(done.stdout).toMatch(/decommission-check: 1 of 1 source address accept mail for clamp\.test; the decommission-safe time \(.*\) has passed: the source may be switched off/)
    const finished = planStateSchema.parse(JSON.parse(readFileSync(planPath, 'utf8')))
    const cleanup = finished.steps.find((s) => s.id === 'cleanup')
    expect(cleanup?.status).toBe('done')
    expect(Date.parse(cleanup?.startedAt ?? '')).toBeGreaterThanOrEqual(safeAt)
  })
})

describe('a filtering gateway as the target, in front of Microsoft 365', () => {
  test('the run stops at a checkpoint naming the inbound connector and the ranges to accept before the swap, then cuts over to the gateway', {timeout: 90_000}, async () => {
    const config = join(dir, 'gw.test.yaml')
    writeFileSync(
      config,
      ['version: 1', 'domain: gw.test', 'target:', '  profile: mimecast', '  mx: ["10 eu-smtp-inbound-1.mimecast.com"]', '  behind: microsoft365', '  gatewayIpRanges: ["192.0.2.0/24", "198.51.100.0/24"]', 'ttl: {lowered: 1, margin: 0}', 'cleanup: {enabled: false}', ...rfc2136Lines(lab), ''].join('\n'),
    )
    const planPath = join(dir, 'gw.test.plan.json')
    const made = await runCli(['plan', config, '--out', planPath, '--no-audit'], {env: labEnv(lab)})
    expect(made.code, made.stderr + made.stdout).toBe(0)
    expect(made.stdout).toMatch(/confirm-inbound-connector +checkpoint .*Declare Mimecast Email Security at Microsoft 365 \(Exchange Online\): its 2 IP ranges/)
    // Without a terminal the checkpoint needs a person: the run stops there, before any MX change.
    const stopped = await runCli(['run', planPath], {env: labEnv(lab)})
    expect(stopped.code).toBe(2)
    expect(stopped.stderr).toMatch(/checkpoint confirm-inbound-connector needs a person/)
    expect(stopped.stdout).toMatch(/Exchange admin center › Mail flow › Connectors.*accept mail from 192\.0\.2\.0\/24, 198\.51\.100\.0\/24/)
    expect((await mxOn(lab.primary, 'gw.test')).records).toEqual(['10 mail.gw.test'])
    const run = await runCli(['resume', planPath, '--yes'], {env: labEnv(lab)})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    expect(run.stdout).toMatch(/probe-before-swap: 1 of 1 target address accept RCPT TO:<postmaster@gw\.test>/)
    expect(run.stdout).toMatch(/cutover complete/)
    expect((await mxOn(lab.primary, 'gw.test')).records).toEqual(['10 eu-smtp-inbound-1.mimecast.com'])
  })
})
