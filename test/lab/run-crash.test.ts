import {existsSync, mkdtempSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {cutoverZone, journalEvents, labEnv, makePlan, mxOn, procState, readJournalLines, serialOn, spawnCli, TARGET_MX, until} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

/**
 * kill -9 of the CLI at five instants, then `resume`: each reaches the right
 * final zone, no UPDATE is sent twice (the SOA serial counts them: the zone
 * starts at 100 and the plan makes three changes), and the journal explains
 * what the resumed run found. A failpoint (MXCUT_FAILPOINT) makes the process
 * stop itself (SIGSTOP) at the exact instant; the test then sends SIGKILL.
 */
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-crash-'))
const names = ['wait', 'intent', 'sent', 'verify', 'converging', 'save', 'rename', 'rollback']
const zones = names.map((n) => cutoverZone(`k-${n}.test`, 3))

beforeAll(async () => {
  lab = await startLab({zones})
})
afterAll(async () => lab?.stop())

async function crashAndResume(zone: string, kill: {failpoint: string} | {whenJournal: string}) {
  const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
  const env = {...labEnv(lab), ...('failpoint' in kill ? {MXCUT_FAILPOINT: kill.failpoint} : {})}
  const run = spawnCli(['run', plan, '--yes'], env)
  if ('failpoint' in kill) await until(`the failpoint ${kill.failpoint}`, () => procState(run.pid) === 'T', 60_000)
  else await until(`journal event ${kill.whenJournal}`, () => journalEvents(plan, kill.whenJournal).length > 0, 60_000)
  run.child.kill('SIGKILL')
  const killed = await run.result
  expect(killed.code).toBeNull()
  // The lock of the dead process is still there; resume must take it over.
  expect(existsSync(plan.replace(/\.json$/, '.lock'))).toBe(true)

  const resumed = await runCli(['resume', plan, '--yes'], {env: labEnv(lab), timeoutMs: 90_000})
  expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0)
  expect(resumed.stdout).toMatch(/cutover complete/)
  for (const server of [lab.primary, lab.secondary]) {
    expect(await mxOn(server, zone)).toEqual({ttl: 3, records: [`0 ${TARGET_MX}`]})
    expect(await serialOn(server, zone)).toBe(103)
  }
  const journal = readJournalLines(plan)
  for (const step of ['lower-ttl', 'swap-mx', 'restore-ttl']) {
    const applied = journal.filter((e) => e.event === 'outcome' && e.step === step && e['result'] === 'applied')
    expect(applied.length, `${step} applied`).toBeLessThanOrEqual(1)
  }
  return {plan, journal, resumed}
}

describe.concurrent('kill -9 at five instants, then resume', () => {
  test('mid-wait', {timeout: 150_000}, async () => {
    const {journal} = await crashAndResume('k-wait.test', {whenJournal: 'wait'})
    // The resumed run counts the wait from when the lowered TTL was served, not from its own start.
    const waits = journal.filter((e) => e.event === 'wait' && e.step === 'wait-old-ttl')
    expect(new Set(waits.map((w) => w['notBefore'])).size).toBe(1)
    expect(journal.filter((e) => e.event === 'intent').map((e) => e.step)).toEqual(['lower-ttl', 'swap-mx', 'restore-ttl'])
  })

  test('after the intent was journaled, before the UPDATE was sent', {timeout: 150_000}, async () => {
    const {journal} = await crashAndResume('k-intent.test', {failpoint: 'after-intent:swap-mx'})
    const explained = journal.filter((e) => e.event === 'interrupted-intent' && e.step === 'swap-mx')
    expect(explained).toHaveLength(1)
    expect(explained[0].message).toMatch(/shows no part of it made, so the rest is sent now/)
    // Two intents for swap-mx (the lost one and the resumed one), one applied outcome.
    expect(journal.filter((e) => e.event === 'intent' && e.step === 'swap-mx')).toHaveLength(2)
  })

  test('right after the UPDATE was sent and answered, before its outcome was journaled', {timeout: 150_000}, async () => {
    const {journal} = await crashAndResume('k-sent.test', {failpoint: 'after-apply:lower-ttl'})
    const explained = journal.filter((e) => e.event === 'interrupted-intent' && e.step === 'lower-ttl')
    expect(explained).toHaveLength(1)
    expect(explained[0].message).toMatch(/shows the change made, so it is not sent again/)
    expect(journal.filter((e) => e.event === 'intent' && e.step === 'lower-ttl')).toHaveLength(1)
    expect(journal.filter((e) => e.event === 'already-applied' && e.step === 'lower-ttl')).toHaveLength(1)
  })

  test('during verification', {timeout: 150_000}, async () => {
    const {journal} = await crashAndResume('k-verify.test', {failpoint: 'during-verify:verify-propagation'})
    expect(journal.filter((e) => e.event === 'step-start' && e.step === 'verify-propagation')).toHaveLength(2)
    expect(journal.filter((e) => e.event === 'intent' && e.step === 'swap-mx')).toHaveLength(1)
    expect(journal.filter((e) => e.event === 'drift-check')).toHaveLength(1)
  })

  test('while waiting for the secondary to serve the change', {timeout: 150_000}, async () => {
    const {journal} = await crashAndResume('k-converging.test', {failpoint: 'converging:restore-ttl'})
    expect(journal.filter((e) => e.event === 'intent' && e.step === 'restore-ttl')).toHaveLength(1)
    expect(journal.filter((e) => e.event === 'interrupted-intent' && e.step === 'restore-ttl')).toHaveLength(0)
    expect(journal.filter((e) => e.event === 'already-applied' && e.step === 'restore-ttl')).toHaveLength(1)
  })

  test('after the change converged, before the state file was written', {timeout: 150_000}, async () => {
    const {journal} = await crashAndResume('k-save.test', {failpoint: 'before-save:swap-mx'})
    expect(journal.filter((e) => e.event === 'intent' && e.step === 'swap-mx')).toHaveLength(1)
    expect(journal.filter((e) => e.event === 'already-applied' && e.step === 'swap-mx')).toHaveLength(1)
  })

  test('with the new plan copy written but not yet renamed into place (test/lab/crash-sweep.ts tries every journal entry and every rename)', {timeout: 150_000}, async () => {
    const {plan, journal} = await crashAndResume('k-rename.test', {failpoint: 'save:6'})
    expect(journal.filter((e) => e.event === 'intent').map((e) => e.step)).toEqual(['lower-ttl', 'swap-mx', 'restore-ttl'])
    // The stale copy of the killed run was removed under the lock.
    expect(readdirSync(dir).filter((f) => f.startsWith('.k-rename.test.plan.json.'))).toEqual([])
    expect(existsSync(plan)).toBe(true)
  })

  test('during a rollback, right after the original MX was restored: rollback again finishes it', {timeout: 150_000}, async () => {
    const zone = 'k-rollback.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const swapped = await runCli(['run', plan, '--yes', '--until', 'swap-mx'], {env: labEnv(lab)})
    expect(swapped.code, swapped.stderr).toBe(0)
    const rb = spawnCli(['rollback', plan, '--yes'], {...labEnv(lab), MXCUT_FAILPOINT: 'after-apply:rollback-mx'})
    await until('the failpoint after-apply:rollback-mx', () => procState(rb.pid) === 'T', 60_000)
    rb.child.kill('SIGKILL')
    expect((await rb.result).code).toBeNull()
    const again = await runCli(['rollback', plan, '--yes'], {env: labEnv(lab), timeoutMs: 90_000})
    expect(again.code, again.stderr + again.stdout).toBe(0)
    for (const server of [lab.primary, lab.secondary]) {
      expect(await mxOn(server, zone)).toEqual({ttl: 3, records: [`10 mail.${zone}`]})
      expect(await serialOn(server, zone)).toBe(104)
    }
    const journal = readJournalLines(plan)
    expect(journal.filter((e) => e.event === 'intent' && e.step === 'rollback-mx')).toHaveLength(1)
    expect(journal.filter((e) => e.event === 'interrupted-intent' && e.step === 'rollback-mx')).toHaveLength(1)
  })
})
