import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, test} from 'vitest'
import type {NotifyEvent} from '../../src/run/notify.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, nsupdate, TARGET_MX, until} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

/**
 * A consultant's directory of plans, in four states, treated in one process
 * by `status DIR` and `resume DIR --if-due --yes` against BIND and Unbound.
 */
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-fleet-'))
const zones = [cutoverZone('wait.fleet.test', 8), cutoverZone('ask.fleet.test', 1), cutoverZone('new.fleet.test', 1), cutoverZone('drift.fleet.test', 1)]

beforeAll(async () => {
  lab = await startLab({zones, resolvers: [{}]})
})
afterAll(async () => lab?.stop())

interface FleetRow {
  path: string
  domain: string
  state: string
  next: {id: string; due: string | null} | null
  needsPerson: boolean
  reason: string | null
}

const row = (rows: FleetRow[], domain: string) => rows.find((r) => r.domain === domain) as FleetRow

test('status DIR and resume DIR --if-due --yes over plans in different states; a notifier command receives the checkpoint event', {timeout: 150_000}, async () => {
  const env = labEnv(lab)
  const plans = Object.fromEntries(await Promise.all(zones.map(async (z) => [z.name, await makePlan(dir, lab, z.name, {lowered: 1, margin: 0})] as const)))
  writeFileSync(join(dir, 'notes.json'), '{"not": "a plan"}\n')

  // needs a person: no terminal and no --yes, so the swap checkpoint stops the run and the notifier is told.
  const events = join(dir, 'events.ndjson')
  const asked = await runCli(['run', plans['ask.fleet.test'], '--notify', `cat >> '${events}'`], {env})
  expect(asked.code).toBe(2)
  expect(asked.stderr).toMatch(/checkpoint confirm-swap needs a person/)
  const received = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as NotifyEvent)
  expect(received).toHaveLength(1)
  expect(received[0]).toMatchObject({event: 'checkpoint', needsPerson: true, domain: 'ask.fleet.test', step: 'confirm-swap', plan: plans['ask.fleet.test']})
  expect(received[0].next).toMatch(/resume .*ask\.fleet\.test\.plan\.json$/)

  // failed: a colleague changed the MX after the plan was made.
  await nsupdate(lab, ['update delete drift.fleet.test MX', 'update add drift.fleet.test 1 IN MX 20 other.example.test'])
  const drifted = await runCli(['run', plans['drift.fleet.test'], '--yes'], {env})
  expect(drifted.code).toBe(1)

  // waiting (last, so its wait outlasts the runs above): run until the old TTL's wait, then detach.
  const detached = await runCli(['run', plans['wait.fleet.test'], '--yes', '--detach'], {env})
  expect(detached.code, detached.stderr).toBe(0)
  expect(detached.stdout).toMatch(/detached at wait-old-ttl/)

  const status = await runCli(['status', dir, '--json'])
  expect(status.code).toBe(1)
  const rows = parseJson<{plans: FleetRow[]}>(status).plans
  expect(rows.map((r) => r.domain).sort()).toEqual(zones.map((z) => z.name).sort())
  expect(row(rows, 'wait.fleet.test')).toMatchObject({state: 'waiting', next: {id: 'wait-old-ttl'}, needsPerson: false})
  expect(Date.parse(row(rows, 'wait.fleet.test').next?.due ?? '')).toBeGreaterThan(Date.now())
  expect(row(rows, 'ask.fleet.test')).toMatchObject({state: 'paused', next: {id: 'confirm-swap', due: null}, needsPerson: true})
  expect(row(rows, 'ask.fleet.test').reason).toMatch(/checkpoint confirm-swap waits for an answer/)
  expect(row(rows, 'new.fleet.test')).toMatchObject({state: 'planned', next: {id: 'preflight'}, needsPerson: false})
  expect(row(rows, 'drift.fleet.test')).toMatchObject({state: 'failed', needsPerson: true})
  expect(row(rows, 'drift.fleet.test').reason).toMatch(/^step swap-mx failed: drift at step swap-mx/)

  const table = await runCli(['status', dir])
  expect(table.stdout).toMatch(/^plan\s+domain\s+state\s+next\s+due\s+needs a person$/m)
  expect(table.stdout).toMatch(/^wait\.fleet\.test\.plan\.json\s+wait\.fleet\.test\s+waiting\s+wait-old-ttl\s+(in \d+ s|now) \(.*\)\s+no$/m)
  expect(table.stdout).toMatch(/^ask\.fleet\.test\.plan\.json\s+ask\.fleet\.test\s+paused\s+confirm-swap\s+-\s+yes$/m)
  expect(table.stdout).toMatch(/^ask\.fleet\.test: checkpoint confirm-swap waits for an answer/m)
  expect(table.stdout).toMatch(/4 plans; 2 need a person/)

  // Once the wait is over: the waiting plan and the one a checkpoint held (--yes answers it) run to the end; the new one is left alone, the failed one is left for a person.
  const due = Date.parse(row(rows, 'wait.fleet.test').next?.due ?? '')
  await until('the wait to be over', () => Date.now() > due + 200, 30_000)
  const resumed = await runCli(['resume', dir, '--if-due', '--yes'], {env, timeoutMs: 90_000})
  expect(resumed.code, resumed.stderr + resumed.stdout).toBe(1)
  // Each stops at its next wait: the decommission check, once resolvers can no longer hand out the old MX.
  expect(resumed.stdout).toMatch(/\[wait\.fleet\.test\] detached at decommission-check/)
  expect(resumed.stdout).toMatch(/\[ask\.fleet\.test\] detached at decommission-check/)
  expect(resumed.stdout).toMatch(/\[new\.fleet\.test\] new\.fleet\.test: not started; start it with: mxcut run /)
  expect(resumed.stdout).toMatch(/\[drift\.fleet\.test\] drift\.fleet\.test: nothing done: step swap-mx failed/)
  expect(resumed.stdout).toMatch(/fleet: 4 plans \((?=.*2 detached)(?=.*1 held)(?=.*1 not-started)[^)]*\); 1 needs attention: drift\.fleet\.test$/m)
  const waiting = parseJson<{plans: FleetRow[]}>(await runCli(['status', dir, '--json'])).plans
  const last = Math.max(...['wait.fleet.test', 'ask.fleet.test'].map((d) => Date.parse(row(waiting, d).next?.due ?? '')))
  await until('the decommission-safe time', () => Date.now() > last + 200, 30_000)
  const finished = await runCli(['resume', dir, '--if-due', '--yes'], {env, timeoutMs: 90_000})
  expect(finished.stdout).toMatch(/\[wait\.fleet\.test\] cutover complete/)
  expect(finished.stdout).toMatch(/\[ask\.fleet\.test\] cutover complete/)
  expect(finished.stdout).toMatch(/fleet: 4 plans \((?=.*2 done)(?=.*1 held)(?=.*1 not-started)[^)]*\); 1 needs attention: drift\.fleet\.test$/m)
  // The TTL is restored to what each zone had: 8 s and 1 s.
  expect(await mxOn(lab.primary, 'wait.fleet.test')).toEqual({ttl: 8, records: [`0 ${TARGET_MX}`]})
  expect(await mxOn(lab.primary, 'ask.fleet.test')).toEqual({ttl: 1, records: [`0 ${TARGET_MX}`]})
  expect(await mxOn(lab.primary, 'new.fleet.test')).toEqual({ttl: 1, records: ['10 mail.new.fleet.test']})

  const after = parseJson<{plans: FleetRow[]}>(await runCli(['status', dir, '--json'])).plans
  expect(Object.fromEntries(after.map((r) => [r.domain, r.state]))).toEqual({'ask.fleet.test': 'done', 'drift.fleet.test': 'failed', 'new.fleet.test': 'planned', 'wait.fleet.test': 'done'})
  expect(existsSync(join(dir, 'wait.fleet.test.plan.lock'))).toBe(false)
})
