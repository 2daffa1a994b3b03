import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, journalEvents, labEnv, makePlan, mxOn, nsupdate, readJournalLines, readPlan, serialOn, spawnCli, TARGET_MX, until} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-run-'))
const zones = [cutoverZone('full.test', 8), cutoverZone('drift.test', 3), cutoverZone('conc.test', 30), cutoverZone('rb.test', 3), cutoverZone('bad.test', 3)]

beforeAll(async () => {
  lab = await startLab({zones, resolvers: [{}]})
})
afterAll(async () => lab?.stop())

interface Status {
  state: string
  next: {id: string; due: string | null} | null
  lock: {pid: number} | null
  steps: Array<{id: string; status: string}>
}

describe('mxcut run against BIND', () => {
  test('a full cutover with --yes: TTL 8 s lowered to 2 s, target MX on both servers, TTL restored', {timeout: 90_000}, async () => {
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
    const status = parseJson<Status>(await runCli(['status', plan, '--json']))
    expect(status.state).toBe('done')
    expect(status.next).toBeNull()
  })

  test('drift injected between steps stops resume and run with exit 1 and changes nothing', {timeout: 90_000}, async () => {
    const zone = 'drift.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const first = await runCli(['run', plan, '--yes', '--until', 'lower-ttl'], {env: labEnv(lab)})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/stopped after lower-ttl/)
    expect(await mxOn(lab.primary, zone)).toEqual({ttl: 1, records: ['10 mail.drift.test']})
    // A colleague changes the MX in the meantime.
    await nsupdate(lab, [`zone ${zone}`, `update delete ${zone} MX`, `update add ${zone} 1 MX 20 other.example.test.`])
    const serial = await serialOn(lab.primary, zone)
    await lab.waitForSerial(lab.secondary, zone, serial ?? undefined)

    const resumed = await runCli(['resume', plan, '--yes'], {env: labEnv(lab)})
    expect(resumed.code, resumed.stderr).toBe(1)
    expect(resumed.stdout).toMatch(/drift since step lower-ttl: drift.test MX/)
    expect(resumed.stdout).toMatch(/expected: drift\.test\. 1 IN MX 10 mail\.drift\.test\./)
    expect(resumed.stdout).toMatch(/actual: +drift\.test\. 1 IN MX 20 other\.example\.test\./)

    // run skips the resume check; the swap's own check finds the same drift before touching anything.
    const run = await runCli(['run', plan, '--yes'], {env: labEnv(lab)})
    expect(run.code, run.stderr).toBe(1)
    expect(run.stdout).toMatch(/drift at step swap-mx: drift.test MX is neither/)
    expect(run.stdout).toMatch(/before: +drift\.test\. 1 IN MX 10 mail\.drift\.test\./)
    expect(run.stdout).toMatch(/expected: drift\.test\. 1 IN MX 0 mx\.target\.test\./)
    expect(run.stdout).toMatch(/actual: +drift\.test\. 1 IN MX 20 other\.example\.test\./)
    expect(await serialOn(lab.primary, zone)).toBe(serial)
    expect(await mxOn(lab.secondary, zone)).toEqual({ttl: 1, records: ['20 other.example.test']})
    expect(journalEvents(plan, 'intent', 'swap-mx')).toEqual([])
    const status = parseJson<Status>(await runCli(['status', plan, '--json']))
    expect(status.state).toBe('failed')
    expect(status.steps.find((s) => s.id === 'swap-mx')?.status).toBe('failed')
  })

  test('a second run exits 2 naming the holder; Ctrl-C pauses the wait; --if-due before and after the due time', {timeout: 150_000}, async () => {
    const zone = 'conc.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const firstRun = spawnCli(['run', plan, '--yes'], labEnv(lab))
    await until('the first run to reach the wait', () => journalEvents(plan, 'wait', 'wait-old-ttl').length > 0)

    // All three at once: the wait (old TTL 30 s) outlasts their start-up.
    const [second, busy, waitingRun] = await Promise.all([
      runCli(['run', plan, '--yes'], {env: labEnv(lab)}),
      runCli(['resume', plan, '--yes', '--if-due'], {env: labEnv(lab)}),
      runCli(['status', plan, '--json']),
    ])
    expect(second.code).toBe(2)
    expect(second.stderr).toMatch(new RegExp(`^mxcut: plan .*conc\\.test\\.plan\\.json is locked by PID ${firstRun.pid} \\(mxcut run, started .*\\)\\n$`))
    expect(busy.code, busy.stderr).toBe(0)
    expect(busy.stdout).toMatch(/locked by PID .*nothing to do/)
    const waiting = parseJson<Status>(waitingRun)
    expect(waiting.state).toBe('waiting')
    expect(waiting.lock?.pid).toBe(firstRun.pid)
    expect(waiting.next?.id).toBe('wait-old-ttl')

    firstRun.child.kill('SIGINT')
    const first = await firstRun.result
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/paused/)
    expect(first.stdout).toMatch(/continue with: mxcut resume /)
    const paused = parseJson<Status>(await runCli(['status', plan, '--json']))
    expect(paused.state).toMatch(/paused|waiting/)
    expect(paused.lock).toBeNull()
    const due = Date.parse(paused.next?.due ?? '')

    expect(due).toBeGreaterThan(Date.now() + 5000)
    const early = await runCli(['resume', plan, '--yes', '--if-due'], {env: labEnv(lab)})
    expect(early.code, early.stderr).toBe(0)
    expect(early.stdout).toMatch(/not due: wait-old-ttl is due in/)
    expect(await mxOn(lab.primary, zone)).toEqual({ttl: 1, records: ['10 mail.conc.test']})
    await until('the wait to be over', () => Date.now() > due, 60_000)
    const late = await runCli(['resume', plan, '--yes', '--if-due'], {env: labEnv(lab)})
    expect(late.code, late.stderr + late.stdout).toBe(0)
    expect(late.stdout).toMatch(/cutover complete/)
    expect(await mxOn(lab.secondary, zone)).toEqual({ttl: 30, records: [`0 ${TARGET_MX}`]})
  })

  test('a checkpoint without a terminal needs --yes; rollback after the swap restores the MX, then its TTL', {timeout: 90_000}, async () => {
    const zone = 'rb.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const refused = await runCli(['rollback', plan, '--yes'], {env: labEnv(lab)})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^mxcut: nothing to roll back: no DNS change of plan .* has been made yet/)

    const noTty = await runCli(['run', plan], {env: labEnv(lab)})
    expect(noTty.code).toBe(2)
    expect(noTty.stderr).toMatch(/checkpoint confirm-swap needs a person .*pass --yes/)
    expect(await mxOn(lab.primary, zone)).toEqual({ttl: 1, records: ['10 mail.rb.test']})

    const swapped = await runCli(['run', plan, '--yes', '--until', 'swap-mx'], {env: labEnv(lab)})
    expect(swapped.code, swapped.stderr).toBe(0)
    expect(await mxOn(lab.secondary, zone)).toEqual({ttl: 1, records: [`0 ${TARGET_MX}`]})

    const askFirst = await runCli(['rollback', plan], {env: labEnv(lab)})
    expect(askFirst.code).toBe(2)
    expect(askFirst.stderr).toMatch(/--yes/)

    const rb = await runCli(['rollback', plan, '--yes'], {env: labEnv(lab)})
    expect(rb.code, rb.stderr + rb.stdout).toBe(0)
    expect(rb.stdout).toMatch(/rolled back rb.test/)
    for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 3, records: ['10 mail.rb.test']})
    const applied = journalEvents(plan, 'outcome').filter((e) => e['result'] === 'applied').map((e) => e.step)
    expect(applied).toEqual(['lower-ttl', 'swap-mx', 'rollback-mx', 'rollback-ttl'])
    const status = parseJson<Status>(await runCli(['status', plan, '--json']))
    expect(status.state).toBe('rolled-back')
    // A second rollback finds everything in place and changes nothing.
    const serial = await serialOn(lab.primary, zone)
    const again = await runCli(['rollback', plan, '--yes'], {env: labEnv(lab)})
    expect(again.code, again.stderr).toBe(0)
    expect(await serialOn(lab.primary, zone)).toBe(serial)
    const runAfter = await runCli(['run', plan, '--yes'], {env: labEnv(lab)})
    expect(runAfter.code).toBe(2)
    expect(runAfter.stderr).toMatch(/was rolled back/)
  })

  test('a plan edited by hand into an invalid shape: exit 2 naming the field, no lock left', async () => {
    const plan = await makePlan(dir, lab, 'bad.test', {lowered: 1, margin: 0})
    const data = JSON.parse(readFileSync(plan, 'utf8')) as {steps: Array<Record<string, unknown>>}
    data.steps[1].status = 'finished'
    writeFileSync(plan, JSON.stringify(data, null, 2))
    for (const args of [['run', plan, '--yes'], ['resume', plan, '--yes'], ['status', plan], ['rollback', plan, '--yes']]) {
      const r = await runCli(args, {env: labEnv(lab)})
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^mxcut: plan .*bad\.test\.plan\.json is not a valid mxcut plan: steps\[1\]\.status: .*\n$/)
    }
    writeFileSync(plan, '{"version": 1, "steps": [')
    const r = await runCli(['run', plan], {env: labEnv(lab)})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/is not valid JSON/)
    expect(existsSync(plan.replace(/\.json$/, '.lock'))).toBe(false)
  })
})
