import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {rdataText} from '../../src/dns/records.js'
import {serverLabel} from '../../src/dns/server.js'
import {parseBindZone} from '../../src/zone/zone-file.js'
import {readPlanState} from '../../src/state/file.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startLab, type Lab, type LabZone} from './lab.js'

/** The example's zone as plans/examples/tailspin-toys.zone holds it (SOA MINIMUM 300, SOA TTL 3600); the lab adds its own SOA and NS. */
const exampleZone = parseBindZone(readFileSync('plans/examples/tailspin-toys.zone', 'utf8'), {file: 'tailspin-toys.zone'})
const exampleRecords = exampleZone.rrsets
  .filter((s) => s.type !== 'NS' && !/^ns\d\./.test(s.name))
  .flatMap((s) => s.records.map((data) => `${s.name}. ${s.ttl} IN ${s.type} ${rdataText({type: s.type, data})}`))
const tailspin: LabZone = {name: 'tailspin-toys.example', serial: 2025030301, minimum: 300, ttl: 3600, records: exampleRecords}
const slow: LabZone = {
  name: 'fabrikam.test',
  serial: 11,
  minimum: 900,
  ttl: 86400,
  records: ['@ 86400 IN MX 10 mx1.fabrikam.test.', '@ 86400 IN MX 20 mx2.fabrikam.test.', 'mx1 IN A 127.0.0.25', 'mx2 IN A 127.0.0.26', '@ IN TXT "v=spf1 mx -all"'],
}
const lagging: LabZone = {name: 'lagging.test', serial: 1, minimum: 60, ttl: 300, records: ['@ 600 IN MX 10 mail', 'mail IN A 127.0.0.25']}

let lab: Lab
let dir: string
const TSIG_SECRET = 'c2VjcmV0IHRoYXQgbXVzdCBuZXZlciByZWFjaCBhIHBsYW4gZmlsZQ=='

beforeAll(async () => {
  // NOTIFY off: the secondary follows only when told, so a lagging secondary is real.
  lab = await startLab({zones: [tailspin, slow, lagging], resolvers: [{}], notify: false})
  dir = mkdtempSync(join(tmpdir(), 'mxcut-plan-'))
})
afterAll(async () => lab?.stop())

const servers = () => ['--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--resolver', serverLabel(lab.resolvers[0]), '--timeout', '800']

function writeConfig(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, body)
  return path
}

describe('mxcut plan against BIND', () => {
  test('the example: old TTL read from BIND, the record diff, the wait of old TTL + margin, a gantt; plan file 0600 without the secret', async () => {
    const out = join(dir, 'tailspin.plan.json')
    const r = await runCli(['plan', 'plans/examples/tailspin-toys.yaml', '--out', out, '--format', 'md', ...servers()], {env: {MXCUT_TSIG_SECRET: TSIG_SECRET}})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('| Current MX | 1 smtp.google.com, TTL 3600 s (1 h 00 min) |')
    expect(r.stdout).toContain('```diff\n- tailspin-toys.example. 3600 IN MX 1 smtp.google.com.\n+ tailspin-toys.example. 300 IN MX 1 smtp.google.com.\n```')
    expect(r.stdout).toContain('- Waits 1 h 01 min (3660 s) after `lower-ttl`')
    expect(r.stdout).toContain('+ tailspin-toys.example. 300 IN MX 0 tailspin-toys-example.mail.protection.outlook.com.')
    expect(r.stdout).toMatch(/```mermaid\ngantt\n[\s\S]*swap-mx :crit, milestone/)
    // The audit ran against the lab: its findings are in the ticket, with the step that handles them.
    expect(r.stdout).toMatch(/\| error \| TARGET_VERIFICATION_MISSING \|.*\| `publish-companions` \|/)

    expect(statSync(out).mode & 0o777).toBe(0o600)
    const text = readFileSync(out, 'utf8')
    expect(text).not.toContain(TSIG_SECRET)
    expect(r.stdout).not.toContain(TSIG_SECRET)
    expect(text).toContain('"secret": "env:MXCUT_TSIG_SECRET"')
    const plan = await readPlanState(out)
    expect(plan.observed.mx).toEqual({ttl: 3600, records: [{priority: 1, exchange: 'smtp.google.com'}]})
    expect(plan.observed.soa).toMatchObject({serial: 2025030301, minimum: 300, ttl: 3600})
    expect(plan.observed.nameservers.map((n) => n.serial)).toEqual([2025030301, 2025030301])
    expect(plan.steps.find((s) => s.id === 'wait-old-ttl')?.waitFor).toContainEqual(expect.objectContaining({after: 'lower-ttl', seconds: 3660}))
    expect(plan.steps.every((s) => s.status === 'pending')).toBe(true)
    // The servers used for planning are the ones the run reads.
    expect(plan.config).toMatchObject({dns: {nameservers: [serverLabel(lab.primary), serverLabel(lab.secondary)]}})
  })

  test('an MX TTL of 86400 s plans a day-long wait (staged strategy, JSON review)', async () => {
    const config = writeConfig(
      'fabrikam.yaml',
      'version: 1\ndomain: fabrikam.test\ntarget: {profile: custom, mx: ["10 mx.provider.test"], spfInclude: spf.provider.test}\nstrategy: staged\nttl: {lowered: 5m, margin: 2m}\n',
    )
    const out = join(dir, 'fabrikam.plan.json')
    const r = await runCli(['plan', config, '--out', out, '--format', 'json', ...servers()])
    expect(r.code, r.stderr).toBe(0)
    const json = parseJson<{plans: Array<{steps: Array<{id: string; waitFor?: Array<{after: string; seconds: number}>; estimatedStart: string; changes?: unknown[]}>; ttl: {old: number; negative: number}}>}>(r)
    const [plan] = json.plans
    expect(plan.ttl).toMatchObject({old: 86400, negative: 900})
    const wait = plan.steps.find((s) => s.id === 'wait-old-ttl')
    expect(wait?.waitFor).toContainEqual(expect.objectContaining({after: 'lower-ttl', seconds: 86400 + 120}))
    const start = new Date(plan.steps[0].estimatedStart).getTime()
    const promote = new Date(plan.steps.find((s) => s.id === 'promote-target')?.estimatedStart ?? '').getTime()
    expect((promote - start) / 1000).toBe(86520)
    expect(plan.steps.map((s) => s.id)).toContain('add-target-backup')
  })

  test('the text review: a table of steps with durations and clock times', async () => {
    const config = writeConfig('fabrikam-text.yaml', 'version: 1\ndomain: fabrikam.test\ntarget: {profile: custom, mx: ["10 mx.provider.test"]}\n')
    const r = await runCli(['plan', config, '--out', join(dir, 'fabrikam-text.plan.json'), ...servers()])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/wait-old-ttl\s+wait\s+until in 1 d \(\w{3} \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \S+\)/)
    expect(r.stdout).toMatch(/Plan written to .*fabrikam-text.plan.json \(mode 0600\)/)
  })

  test('a lagging secondary blocks the plan: exit 1, both serials named, no plan file', async () => {
    await lab.writeZone({...lagging, serial: 2, records: ['@ 600 IN MX 10 mail', '@ 600 IN MX 20 mail2', 'mail IN A 127.0.0.25', 'mail2 IN A 127.0.0.26']})
    const config = writeConfig('lagging.yaml', 'version: 1\ndomain: lagging.test\ntarget: {profile: microsoft365, dkim: false}\n')
    const out = join(dir, 'lagging.plan.json')
    const r = await runCli(['plan', config, '--out', out, ...servers()])
    expect(r.code, r.stdout).toBe(1)
    expect(r.stdout).toMatch(/NS_SERIAL_MISMATCH .*serials \(.* 2, .* 1\)/)
    expect(r.stderr.trim()).toMatch(/^mxcut: plan refused: NS_SERIAL_MISMATCH/)
    expect(existsSync(out)).toBe(false)

    // Once the secondary has transferred the zone, the same config plans.
    await lab.notifySecondary('lagging.test')
    await lab.waitForSerial(lab.secondary, 'lagging.test', 2)
    const again = await runCli(['plan', config, '--out', out, ...servers()])
    expect(again.code, again.stderr + again.stdout).toBe(0)
    expect(existsSync(out)).toBe(true)
  })

  test('several domains: one plan file each, on its own timeline', async () => {
    const config = writeConfig(
      'tenant.yaml',
      'version: 1\ndomains:\n  - fabrikam.test\n  - {name: tailspin-toys.example, mx: ["0 tailspin-toys-example.mail.protection.outlook.com"]}\ntarget: {profile: microsoft365, dkim: false}\n',
    )
    const outDir = join(dir, 'tenant')
    const r = await runCli(['plan', config, '--out', outDir, '--format', 'json', ...servers()])
    expect(r.code, r.stderr).toBe(0)
    const fab = await readPlanState(join(outDir, 'fabrikam.test.plan.json'))
    const tail = await readPlanState(join(outDir, 'tailspin-toys.example.plan.json'))
    const waitOf = (p: typeof fab) => p.steps.find((s) => s.id === 'wait-old-ttl')?.waitFor?.find((w) => w.after === 'lower-ttl')?.seconds
    expect([waitOf(fab), waitOf(tail)]).toEqual([86460, 3660])
    expect(fab.steps.find((s) => s.id === 'swap-mx')?.changes?.[0].after?.records).toEqual([{priority: 0, exchange: 'fabrikam-test.mail.protection.outlook.com'}])
  })

  test('a plan in progress is not overwritten', async () => {
    const out = join(dir, 'progress.plan.json')
    const first = await runCli(['plan', 'plans/examples/tailspin-toys.yaml', '--out', out, '--no-audit', ...servers()])
    expect(first.code, first.stderr).toBe(0)
    const state = JSON.parse(readFileSync(out, 'utf8')) as {steps: Array<{status: string}>}
    state.steps[0].status = 'done'
    writeFileSync(out, JSON.stringify(state))
    const again = await runCli(['plan', 'plans/examples/tailspin-toys.yaml', '--out', out, '--no-audit', ...servers()])
    expect(again.code).toBe(2)
    expect(again.stderr.trim()).toBe(`mxcut: ${out} is a plan in progress (step preflight is done); finish or roll it back, or give --out for a new file (--force replaces it)`)
  })
})
