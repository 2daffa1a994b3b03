import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {serverLabel} from '../../src/dns/server.js'
import type {RehearsalReport} from '../../src/sandbox/report.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startLab, type Lab} from './lab.js'

// Today's records live in a real BIND zone; rehearse reads them from there, then changes only the sandbox.
let lab: Lab
let dir: string
const zone = {
  name: 'contoso.test',
  serial: 41,
  records: [
    '@ 900 IN MX 10 mx1.legacy-mail.test.',
    '@ 900 IN MX 20 mx2.legacy-mail.test.',
    '@ 900 IN TXT "v=spf1 include:spf.legacy-mail.test -all"',
    '_dmarc 900 IN TXT "v=DMARC1; p=reject"',
  ],
}
const legacy = {name: 'legacy-mail.test', records: ['mx1 IN A 127.0.0.41', 'mx2 IN A 127.0.0.42', 'spf IN TXT "v=spf1 ip4:127.0.0.0/24 -all"']}

beforeAll(async () => {
  lab = await startLab({zones: [zone, legacy], resolvers: [{}]})
  dir = mkdtempSync(join(tmpdir(), 'mxcut-rehearse-'))
  writeFileSync(
    join(dir, 'contoso.yaml'),
    `version: 1
domain: contoso.test
target:
  profile: microsoft365
  mx: ["0 contoso-test.mail.protection.outlook.com"]
  verification: MS=ms90909090
  autodiscover: false
  dkim: false
ttl: {lowered: 300, margin: 30}
cleanup: {enabled: false}
dns:
  host: manual
  nameservers: ["${serverLabel(lab.primary)}", "${serverLabel(lab.secondary)}"]
resolvers: ["${serverLabel(lab.resolvers[0])}"]
`,
  )
})
afterAll(async () => {
  await lab?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

describe('rehearse reads today from BIND and runs the cutover in the sandbox', () => {
  test('rehearse CONFIG: live records, planned against the sandbox, run to the end; BIND is untouched', async () => {
    const r = await runCli(['rehearse', join(dir, 'contoso.yaml'), '--json'], {timeoutMs: 120_000})
    expect(r.code, r.stderr + r.stdout.slice(0, 4000)).toBe(0)
    const {rehearsals} = parseJson<{rehearsals: RehearsalReport[]}>(r)
    const report = rehearsals[0]
    expect(report.outcome).toBe('done')
    expect(report.problems).toEqual([])
    // The old TTL read from BIND (900 s) sets the wait before the swap.
    expect(report.swapSeconds).toBeGreaterThanOrEqual(930)
    expect(report.final.map((f) => f.mx)).toEqual([['0 contoso-test.mail.protection.outlook.com.'], ['0 contoso-test.mail.protection.outlook.com.']])
    expect(report.final.map((f) => f.mxTtl)).toEqual([900, 900])
    expect(report.mail.byHost.find((h) => h.exchange === 'mx1.legacy-mail.test')?.role).toBe('source')
    expect(report.mail.bounced).toBe(0)

    // Nothing was changed on the real servers.
    const inspect = parseJson<{mx: {ttl: number; records: unknown[]}; nameservers: Array<{serial: number}>}>(
      await runCli(['inspect', 'contoso.test', '--nameserver', serverLabel(lab.primary), '--json']),
    )
    expect(inspect.mx.ttl).toBe(900)
    expect(inspect.nameservers[0].serial).toBe(41)
  })

  test('rehearse PLAN: the plan made with mxcut plan runs from its first step, and the plan file is left as it was', async () => {
    const planFile = join(dir, 'contoso.plan.json')
    const made = await runCli(['plan', join(dir, 'contoso.yaml'), '--out', planFile, '--no-audit'])
    expect(made.code, made.stderr).toBe(0)
    const before = readFileSync(planFile, 'utf8')
    const r = await runCli(['rehearse', planFile], {timeoutMs: 120_000})
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/\[\d+\/\d+\] swap-mx/)
    expect(r.stdout).toMatch(/Rehearsal of contoso.test: completed/)
    expect(r.stdout).toMatch(/What would have gone wrong\n {2}nothing/)
    expect(readFileSync(planFile, 'utf8')).toBe(before)
  })

  test('a missing file is one line and exit 2', async () => {
    const r = await runCli(['rehearse', join(dir, 'nope.yaml')])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/does not exist/)
  })
})
