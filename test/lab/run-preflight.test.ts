import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {planStateSchema} from '../../src/state/schema.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, journalEvents, labEnv, mxOn, nsupdate, readPlan, serialOn, rfc2136Lines, TARGET_MX, writeConfig} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

/**
 * The pre-flight audits the domain again when the run starts, against BIND
 * and Unbound: a problem that appears between `mxcut plan` and `mxcut run`
 * stops the run before any change, and the run goes on once it is fixed.
 */

let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-preflight-'))
const zone = 'pf.test'

beforeAll(async () => {
  // The target's MX host resolves, so the audit of the plan finds no error of its own.
  lab = await startLab({zones: [cutoverZone(zone, 3), {name: 'target.test', records: ['mx 60 IN A 127.0.0.26']}], resolvers: [{}]})
})
afterAll(async () => lab?.stop())

async function settle(): Promise<number | null> {
  const serial = await serialOn(lab.primary, zone)
  await lab.waitForSerial(lab.secondary, zone, serial ?? undefined)
  return serial
}

describe('mxcut run: the pre-flight audits live DNS again', () => {
  test('a second SPF record added after planning stops the run at preflight (exit 1, nothing changed); once removed, the run completes', {timeout: 120_000}, async () => {
    const config = writeConfig(dir, zone, {lowered: 1, margin: 0, dnsLines: rfc2136Lines(lab)})
    const planPath = join(dir, `${zone}.plan.json`)
    const made = await runCli(['plan', config, '--out', planPath], {env: labEnv(lab)})
    expect(made.code, made.stderr + made.stdout).toBe(0)
    const planned = readPlan(planPath)
    expect(planned.findings.filter((f) => f.severity === 'error')).toEqual([])
    expect(planned.preflight).toMatchObject({audit: true, smtp: false, target: {profile: 'custom', mx: [{priority: 0, exchange: TARGET_MX}]}})

    // Days later, someone publishes a second SPF policy (RFC 7208 §4.5: permerror for every receiver).
    await nsupdate(lab, [`zone ${zone}`, `update add ${zone} 60 TXT "v=spf1 include:other.example.test -all"`])
    const serial = await settle()

    const stopped = await runCli(['run', planPath, '--yes'], {env: labEnv(lab)})
    expect(stopped.code, stopped.stderr + stopped.stdout).toBe(1)
    expect(stopped.stdout).toMatch(/stopped at preflight: pre-flight: the audit found 1 error that no later step handles: SPF_MULTIPLE \(pf\.test TXT/)
    expect(stopped.stdout).toMatch(/SPF_MULTIPLE pf\.test TXT.*\(new since the plan was made\): /)
    expect(stopped.stdout).toMatch(/nothing was changed; fix it, then run again: mxcut resume /)
    expect(stopped.stderr).toBe('')
    // No DNS changed: same serial, same MX on both servers, no intent journaled.
    expect(await serialOn(lab.primary, zone)).toBe(serial)
    for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 3, records: ['10 mail.pf.test']})
    expect(journalEvents(planPath, 'intent')).toEqual([])
    // The plan file is valid and says where it stopped and why.
    const state = planStateSchema.parse(JSON.parse(readFileSync(planPath, 'utf8')))
    const preflight = state.steps.find((s) => s.id === 'preflight')
    expect(preflight?.status).toBe('failed')
    expect(preflight?.error).toMatch(/SPF_MULTIPLE/)
    expect(state.steps.slice(1).every((s) => s.status === 'pending')).toBe(true)
    const status = parseJson<{state: string; steps: Array<{id: string; status: string}>}>(await runCli(['status', planPath, '--json']))
    expect(status.state).toBe('failed')

    // Fixed: the extra record removed. The same plan now runs to the end.
    await nsupdate(lab, [`zone ${zone}`, `update delete ${zone} TXT "v=spf1 include:other.example.test -all"`])
    await settle()
    const run = await runCli(['run', planPath, '--yes'], {env: labEnv(lab)})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    expect(run.stdout).toMatch(/preflight: audit: no errors/)
    expect(run.stdout).toMatch(/cutover complete/)
    for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 3, records: [`0 ${TARGET_MX}`]})
    const done = readPlan(planPath)
    expect(done.steps.find((s) => s.id === 'preflight')?.evidence).toMatchObject({audit: {source: 'live', blocking: []}})
  })
})
