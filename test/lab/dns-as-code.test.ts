import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {query} from '../../src/dns/client.js'
import {splitTxt} from '../../src/dns/records.js'
import {serverLabel, type DnsServer} from '../../src/dns/server.js'
import {runCli} from '../helpers/cli.js'
import {mxOn, readPlan} from '../run/lab-plan.js'
import {startLab, zoneText, type Lab, type LabZone} from './lab.js'

/**
 * The DNS-as-code hosts in a lab cutover: mxcut edits the zone's file in a
 * repository (a BIND zone file, an octoDNS YAML file) and waits; the test
 * plays the admin's pipeline, which deploys each new version of the file to
 * the lab's BIND primary (named-checkzone, then a reload; the secondary
 * follows by NOTIFY), as CI would. The cutover must complete on both servers.
 */
const dir = mkdtempSync(join(tmpdir(), 'mxcut-dns-as-code-'))
const FIRST = 'v=spf1 mx include:spf-a.providers.test '
const SECOND = 'include:spf-b.providers.test -all'
const CLEANED = ['v=spf1 mx ', 'include:spf-b.providers.test include:spf-t.providers.test -all']
const quoted = (strings: string[]) => strings.map((s) => `"${s}"`).join(' ')

const zonefileZone: LabZone = {name: 'zonefile-cut.test', ttl: 60, minimum: 2, serial: 100, records: ['@ 3 IN MX 10 mail', 'mail 60 IN A 127.0.0.25', `@ 2 IN TXT ${quoted([FIRST, SECOND])}`]}
const octodnsZone: LabZone = {name: 'octodns-cut.test', ttl: 60, minimum: 2, serial: 100, records: ['@ 3 IN MX 10 mail', 'mail 60 IN A 127.0.0.25', '@ 2 IN TXT "v=spf1 mx include:spf-a.providers.test -all"']}
const OCTODNS_YAML = `---
'':
  - type: MX
    ttl: 3
    values:
      - exchange: mail.octodns-cut.test.
        preference: 10
  - type: TXT
    ttl: 2
    value: v=spf1 mx include:spf-a.providers.test -all
mail:
  type: A
  ttl: 60
  value: 127.0.0.25
`

let lab: Lab
const pipelines: Array<() => void> = []

beforeAll(async () => {
  lab = await startLab({zones: [zonefileZone, octodnsZone], resolvers: [{}]})
})
afterAll(async () => {
  for (const stop of pipelines) stop()
  await lab?.stop()
})

/** The admin's pipeline: each new version of the repository file is turned into a zone file, checked, and deployed to the primary. */
function pipeline(file: string, zone: string, render: (text: string) => {text: string; serial: number}): {deploys: number[]} {
  const state = {deploys: [] as number[]}
  let deployed = readFileSync(file, 'utf8')
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    const text = readFileSync(file, 'utf8')
    if (text === deployed) return
    busy = true
    const out = render(text)
    const check = join(dir, `${zone}.check`)
    writeFileSync(check, out.text)
    execFileSync('named-checkzone', [zone, check], {stdio: 'ignore'})
    lab
      .writeZoneText(zone, out.text, out.serial)
      .then(() => {
        deployed = text
        state.deploys.push(out.serial)
      })
      .finally(() => (busy = false))
  }, 250)
  pipelines.push(() => clearInterval(timer))
  return state
}

/** What octodns-sync would publish from the YAML: each record as zone-file lines, TXT cut at 255 octets, a new serial each time. */
function octodnsToZone(zone: LabZone): (text: string) => {text: string; serial: number} {
  let serial = zone.serial ?? 100
  return (text) => {
    const data = parse(text) as Record<string, unknown>
    const lines: string[] = []
    for (const [key, entry] of Object.entries(data)) {
      const owner = key === '' ? '@' : key
      for (const rec of (Array.isArray(entry) ? entry : [entry]) as Array<Record<string, unknown>>) {
        const values = (Array.isArray(rec.values) ? rec.values : [rec.value]) as unknown[]
        const ttl = Number(rec.ttl ?? 3600)
        for (const v of values) {
          const rdata =
            rec.type === 'MX'
              ? `${(v as {preference: number}).preference} ${(v as {exchange: string}).exchange}`
              : rec.type === 'TXT'
                ? quoted(splitTxt(String(v).replace(/\\;/g, ';')))
                : String(v)
          lines.push(`${owner} ${ttl} IN ${String(rec.type)} ${rdata}`)
        }
      }
    }
    serial += 1
    return {text: zoneText({...zone, serial, records: lines}, lab.primary.address, lab.secondary.address), serial}
  }
}

function config(zone: string, dnsLines: string[]): string {
  const path = join(dir, `${zone}.mxcut.yaml`)
  writeFileSync(
    path,
    [
      'version: 1',
      `domain: ${zone}`,
      'target: {profile: custom, mx: ["0 mx.providers.test"], spfInclude: spf-t.providers.test}',
      'source: {spfInclude: spf-a.providers.test}',
      'ttl: {lowered: 1, margin: 0}',
      'cleanup: {soak: 0s}',
      'dns:',
      ...dnsLines,
      `  nameservers: [${lab.primary.address}, ${lab.secondary.address}]`,
      `resolvers: [${lab.resolvers.map((r) => r.address).join(', ')}]`,
      '',
    ].join('\n'),
  )
  return path
}

async function txtOn(server: DnsServer, zone: string): Promise<string[][]> {
  const r = await query(server, zone, 'TXT', {recursion: false, timeoutMs: 1000, retries: 2})
  return r.answers.filter((a) => a.type === 'TXT').map((a) => (Array.isArray(a.data) ? (a.data as Buffer[]) : [a.data as Buffer]).map((b) => b.toString()))
}

async function cutover(zone: string, cfg: string): Promise<string> {
  const plan = join(dir, `${zone}.plan.json`)
  const planned = await runCli(['plan', cfg, '--out', plan, '--no-audit'], {})
  expect(planned.code, planned.stderr + planned.stdout).toBe(0)
  const run = await runCli(['run', plan, '--yes'], {timeoutMs: 150_000})
  expect(run.code, run.stderr + run.stdout).toBe(0)
  const state = readPlan(plan)
  expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
  for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone), serverLabel(server)).toEqual({ttl: 3, records: ['0 mx.providers.test']})
  return planned.stdout + run.stdout + run.stderr
}

describe('DNS-as-code hosts: mxcut edits the file, the pipeline deploys it to BIND', () => {
  test('zonefile: a BIND zone file (SPF in two strings); each edit raises the serial, the pipeline deploys, the cutover completes with the split intact', {timeout: 180_000}, async () => {
    const zone = zonefileZone.name
    const file = join(dir, `${zone}.zone`)
    writeFileSync(file, readFileSync(join(lab.dir, 'primary', `${zone}.db`), 'utf8'))
    const ci = pipeline(file, zone, (text) => ({text, serial: Number(/loaded serial (\d+)/.exec(execFileSync('named-checkzone', [zone, file], {encoding: 'utf8'}))?.[1])}))
    const output = await cutover(zone, config(zone, ['  host: zonefile', `  zonefile: {file: "${file}", deploy: "the lab pipeline deploys it to BIND"}`]))
    expect(output).toContain(`Changed ${file} (zone ${zone}):`)
    expect(output).toContain('Commit and deploy it: the lab pipeline deploys it to BIND')
    expect(output).toMatch(/SOA serial 100 → 101\n/)
    // publish-companions, lower-ttl, swap-mx, restore-ttl, cleanup: one deploy each.
    expect(ci.deploys).toHaveLength(5)
    for (const server of [lab.primary, lab.secondary]) expect(await txtOn(server, zone)).toEqual([CLEANED])
    expect(readFileSync(file, 'utf8')).toContain(`IN\tTXT\t${quoted(CLEANED)}`)
  })

  test('octodns: an octoDNS YAML zone; the pipeline (standing in for octodns-sync) deploys each version, the cutover completes', {timeout: 180_000}, async () => {
    const zone = octodnsZone.name
    const file = join(dir, `${zone}.yaml`)
    writeFileSync(file, OCTODNS_YAML)
    const ci = pipeline(file, zone, octodnsToZone(octodnsZone))
    const output = await cutover(zone, config(zone, ['  host: octodns', `  octodns: {file: "${file}", deploy: "the lab pipeline runs octodns-sync"}`]))
    expect(output).toContain(`Changed ${file} (zone ${zone}):`)
    expect(ci.deploys.length).toBe(5)
    for (const server of [lab.primary, lab.secondary]) expect(await txtOn(server, zone)).toEqual([['v=spf1 mx include:spf-t.providers.test -all']])
    const yaml = parse(readFileSync(file, 'utf8')) as Record<string, Array<Record<string, unknown>>>
    expect(yaml[''].find((r) => r.type === 'MX')).toEqual({ttl: 3, type: 'MX', values: [{exchange: 'mx.providers.test.', preference: 0}]})
  })
})
