import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, readJournalLines, readPlan, serialOn, TARGET_MX} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-run-'))
const zones = {full: cutoverZone('full.test', 8)}

beforeAll(async () => {
  lab = await startLab({zones: Object.values(zones), resolvers: [{}]})
})
afterAll(async () => lab?.stop())

describe('mxcut run against BIND', () => {
  test('a full cutover with --yes: TTL 8 s lowered to 2 s, target MX on both servers, TTL restored', async () => {
    const zone = 'full.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 2, margin: 1})
    // A resolver holding the old MX makes verification wait for its cache like the real world.
    await query(lab.resolvers[0], zone, 'MX', {timeoutMs: 1000})
    const started = Date.now()
    const r = await runCli(['run', plan, '--yes'], {env: labEnv(lab)})
    const elapsed = (Date.now() - started) / 1000
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/cutover complete/)
    for (const server of [lab.primary, lab.secondary]) {
      expect(await mxOn(server, zone)).toEqual({ttl: 8, records: [`0 ${TARGET_MX}`]})
    }
    expect(await serialOn(lab.secondary, zone)).toBe(await serialOn(lab.primary, zone))
    const state = readPlan(plan)
    expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
    const journal = readJournalLines(plan)
    const applied = journal.filter((e) => e.event === 'outcome' && e['result'] === 'applied').map((e) => e.step)
    expect(applied).toEqual(['lower-ttl', 'swap-mx', 'restore-ttl'])
    const wait = state.steps.find((s) => s.id === 'wait-old-ttl')
    const lower = state.steps.find((s) => s.id === 'lower-ttl')
    // The wait never ends early: at least old TTL + margin after every server served the lowered TTL.
    expect(Date.parse(wait?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(lower?.finishedAt ?? '') + 9000)
    const floor = 8 + 1 + 2
    if (process.env.RUN_TIMING) for (const e of journal) process.stdout.write(`${e.at} ${e.event} ${e.step ?? ''} ${e.message ?? ''}\n`)
    // The runner's own span (first to last journal line) apart from the CLI's start-up under tsx.
    const inRunner = (Date.parse(journal.at(-1)?.at ?? '') - Date.parse(journal[0].at)) / 1000
    process.stdout.write(`[run.test] full cutover: CLI ${elapsed.toFixed(1)} s, runner ${inRunner.toFixed(1)} s, floor ${floor} s (old TTL 8 + margin 1 + lowered TTL 2): overhead ${(inRunner - floor).toFixed(1)} s in the runner, ${(elapsed - inRunner).toFixed(1)} s start-up\n`)
    const status = parseJson<{state: string; next: unknown}>(await runCli(['status', plan, '--json']))
    expect(status.state).toBe('done')
    expect(status.next).toBeNull()
  })
})
