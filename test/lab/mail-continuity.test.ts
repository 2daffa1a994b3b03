import {randomInt} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import type {DrillReport} from '../../src/audit/drill.js'
import type {AuditReport} from '../../src/audit/types.js'
import {serverLabel} from '../../src/dns/server.js'
import {planStateSchema} from '../../src/state/schema.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startSmtpListener, type SmtpListener} from '../helpers/smtp.js'
import {createTestCa} from '../helpers/tls.js'
import {journalEvents, labEnv, mxOn, rfc2136Lines, serialOn} from '../run/lab-plan.js'
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
const reverseZone = `${S.split('.').reverse().join('.')}.in-addr.arpa`

/** Dynamic, so the rfc2136 host can run a plan on it; every host has a forward-confirmed PTR. */
function mailZone(name: string, mx: string[]): LabZone {
  return {name, dynamic: true, ttl: 60, minimum: 2, serial: 100, records: [...mx, '@ 60 IN TXT "v=spf1 mx -all"', `_dmarc 60 IN TXT "v=DMARC1; p=none"`]}
}

let lab: Lab
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
  )
  lab = await startLab({
    zones: [
      mailZone('three.test', ['@ 5 IN MX 10 mx1', '@ 5 IN MX 20 mx2', '@ 5 IN MX 30 mx3', `mx1 IN A ${MX1}`, `mx2 IN A ${MX2}`, `mx3 IN A ${MX3}`]),
      {name: 'target.test', records: [`mx 60 IN A ${TARGET}`, 'spf 60 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"']},
      {name: reverseZone, records: ['1 IN PTR mx1.three.test.', '2 IN PTR mx2.three.test.', '3 IN PTR mx3.three.test.', '10 IN PTR mx.target.test.']},
    ],
    resolvers: [{}],
  })
}, 60_000)

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()))
  await lab?.stop()
})

const resolver = () => serverLabel(lab.resolvers[0])
const env = () => ({NODE_EXTRA_CA_CERTS: caFile})
const sessions = () => listeners.map((l) => l.sessions.length)

describe('a backup MX that refuses the domain', () => {
  test('mxcut drill: one SMTP session per host, accept / defer / bounce in priority order, exit 1 (text and --json)', {timeout: 60_000}, async () => {
    const before = sessions()
    const json = await runCli(['drill', 'three.test', '--resolver', resolver(), '--probe-timeout', '2000', '--json'], {env: env()})
    const opened = sessions().map((n, i) => n - before[i])
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
