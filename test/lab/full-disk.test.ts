import {readdirSync, readFileSync, statSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {UserError} from '../../src/lib/errors.js'
import {readPlanState, writePlanState} from '../../src/state/file.js'
import {runCli} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, serialOn, TARGET_MX} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'
import {mountTmpfs, type Tmpfs} from './tmpfs.js'

/**
 * A full disk under the plan, on a real 256 KiB tmpfs (mounted as root): the
 * plan file is never replaced by a short one, no DNS change is made whose
 * outcome cannot be recorded, the error is one line naming the file and the
 * cause, and once space is freed `resume` completes the cutover with each
 * change made once (the SOA serial counts the UPDATEs: 100 + 3).
 */
let lab: Lab
let disk: Tmpfs
const zones = [cutoverZone('disk-mid.test', 3), cutoverZone('disk-zero.test', 3)]

beforeAll(async () => {
  lab = await startLab({zones})
  disk = mountTmpfs(256, 'mxcut-full-disk-')
})
afterAll(async () => {
  disk?.unmount()
  await lab?.stop()
})

function oneLine(stderr: string): string {
  expect(stderr).toMatch(/^mxcut: [^\n]+\n$/)
  expect(stderr).not.toMatch(/internal error/)
  return stderr
}

async function completesOnceFreed(plan: string, zone: string): Promise<void> {
  disk.release()
  const resumed = await runCli(['resume', plan, '--yes'], {env: labEnv(lab), timeoutMs: 90_000})
  expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0)
  expect(resumed.stdout).toMatch(/cutover complete/)
  for (const server of [lab.primary, lab.secondary]) {
    expect(await mxOn(server, zone)).toEqual({ttl: 3, records: [`0 ${TARGET_MX}`]})
    expect(await serialOn(server, zone)).toBe(103)
  }
}

describe('a full disk under the plan', () => {
  test('the write path: a full disk keeps the old plan byte for byte, and leaves no temp file', async () => {
    const plan = await makePlan(disk.dir, lab, 'disk-mid.test', {lowered: 1, margin: 0})
    const before = readFileSync(plan)
    const state = await readPlanState(plan)
    // Enough room to start the new copy, not to finish it.
    disk.leave(4096)
    state.steps[0].error = 'x'.repeat(before.length)
    const err = await writePlanState(plan, state).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as Error).message).toMatch(/^cannot save plan .*disk-mid\.test\.plan\.json: no space left on device \(ENOSPC\); the plan file keeps its last saved state; free some space/)
    expect(readFileSync(plan).equals(before)).toBe(true)
    expect(readdirSync(disk.dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    disk.release()
  })

  test('12 to 24 KiB free in the middle of a cutover: no change made that cannot be recorded; resume completes once space is freed', {timeout: 150_000}, async () => {
    const zone = 'disk-mid.test'
    const plan = `${disk.dir}/${zone}.plan.json`
    const first = await runCli(['run', plan, '--yes', '--until', 'lower-ttl'], {env: labEnv(lab)})
    expect(first.code, first.stderr).toBe(0)
    const planBytes = statSync(plan).size
    for (const free of [24 * 1024, 12 * 1024]) {
      disk.leave(free)
      const r = await runCli(['resume', plan, '--yes'], {env: labEnv(lab), timeoutMs: 90_000})
      expect(r.code, r.stdout).toBe(2)
      process.stdout.write(`[full-disk] ${free} bytes free mid-cutover: ${r.stderr}`)
      expect(oneLine(r.stderr)).toMatch(/not enough free space in .* to record a DNS change \(\d+ KiB free, about \d+ KiB needed.*\); nothing was changed: free some space, then run mxcut resume|no space left on device \(ENOSPC\)/)
      // Only lower-ttl reached DNS; the plan file is whole and says so.
      expect(await serialOn(lab.primary, zone)).toBe(101)
      const state = await readPlanState(plan)
      expect(state.steps.find((s) => s.id === 'lower-ttl')?.status).toBe('done')
      expect(state.steps.find((s) => s.id === 'swap-mx')?.status).not.toBe('done')
      const status = await runCli(['status', plan, '--json'])
      expect(status.code, status.stderr).toBe(0)
      disk.release()
    }
    process.stdout.write(`[full-disk] plan file ${planBytes} bytes on a 256 KiB tmpfs\n`)
    await completesOnceFreed(plan, zone)
  })

  test('0 to 4 KiB free: one line naming the file and ENOSPC, nothing changed, the plan intact', {timeout: 150_000}, async () => {
    const zone = 'disk-zero.test'
    const plan = await makePlan(disk.dir, lab, zone, {lowered: 1, margin: 0})
    const before = readFileSync(plan)
    for (const free of [4096, 0]) {
      disk.leave(free)
      const r = await runCli(['run', plan, '--yes'], {env: labEnv(lab)})
      expect(r.code, r.stdout).toBe(2)
      expect(oneLine(r.stderr)).toMatch(/^mxcut: (cannot [a-z ]+ \/\S+disk-zero\.test\.plan\.(lock|journal\.ndjson|json): no space left on device \(ENOSPC\)|not enough free space in )/)
      process.stdout.write(`[full-disk] ${free} bytes free: ${r.stderr}`)
      expect(readFileSync(plan).equals(before) || (await readPlanState(plan)).steps.every((s) => s.status !== 'done' || s.kind !== 'dns-change')).toBe(true)
      expect(await serialOn(lab.primary, zone)).toBe(100)
      disk.release()
    }
    await completesOnceFreed(plan, zone)
  })
})
