import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../src/lib/errors.js'
import {readPlanState, writePlanState} from '../../src/state/file.js'
import {handPlan} from '../run/fixtures.js'

const dir = mkdtempSync(join(tmpdir(), 'mxcut-state-'))

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(UserError)
  return err as UserError
}

describe('plan state file', () => {
  test('round-trips through an atomic write with mode 0600', async () => {
    const path = join(dir, 'a.plan.json')
    await writePlanState(path, handPlan())
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(await readPlanState(path)).toEqual(handPlan())
  })

  test('a rewrite keeps 0600 even when the old file was wider', async () => {
    const path = join(dir, 'b.plan.json')
    writeFileSync(path, '{}', {mode: 0o644})
    await writePlanState(path, handPlan())
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  test('a missing file names mxcut plan', async () => {
    const err = await rejection(readPlanState(join(dir, 'nope.plan.json')))
    expect(err.message).toMatch(/does not exist.*mxcut plan/)
    expect(err.exitCode).toBe(2)
  })

  test('broken JSON is a one-line error', async () => {
    const path = join(dir, 'c.plan.json')
    writeFileSync(path, readFileSync(join(dir, 'a.plan.json'), 'utf8').slice(0, 200))
    const err = await rejection(readPlanState(path))
    expect(err.message).toMatch(/is not valid JSON/)
    expect(err.message).not.toContain('\n')
  })

  test('a hand-edited status is named with its path', async () => {
    const path = join(dir, 'd.plan.json')
    const plan = JSON.parse(readFileSync(join(dir, 'a.plan.json'), 'utf8')) as {steps: Array<{status: string}>}
    plan.steps[3].status = 'finished'
    writeFileSync(path, JSON.stringify(plan))
    const err = await rejection(readPlanState(path))
    expect(err.message).toMatch(/steps\[3\]\.status/)
  })

  test('an unknown field, a duplicate id and a dangling waitFor are refused', async () => {
    const path = join(dir, 'e.plan.json')
    writeFileSync(path, JSON.stringify({...handPlan(), extra: 1}))
    expect((await rejection(readPlanState(path))).message).toMatch(/extra/)
    const dup = handPlan()
    dup.steps[2] = {...dup.steps[2], id: 'lower-ttl'}
    writeFileSync(path, JSON.stringify(dup))
    expect((await rejection(readPlanState(path))).message).toMatch(/'lower-ttl' appears twice/)
    const dangling = handPlan()
    dangling.steps[2] = {...dangling.steps[2], waitFor: [{after: 'swap-mx', seconds: 1, reason: 'x'}]}
    writeFileSync(path, JSON.stringify(dangling))
    expect((await rejection(readPlanState(path))).message).toMatch(/not an earlier step/)
  })

  test('writing an invalid state throws before touching the file', async () => {
    const path = join(dir, 'f.plan.json')
    await writePlanState(path, handPlan())
    const before = readFileSync(path, 'utf8')
    const bad = {...handPlan(), version: 2} as unknown as ReturnType<typeof handPlan>
    await expect(writePlanState(path, bad)).rejects.toThrow()
    expect(readFileSync(path, 'utf8')).toBe(before)
  })

  test('TXT records: joined strings of older plan files load as they are; split strings load; an over-long string is refused', async () => {
    const txt = (records: unknown[]) => ({name: 'contoso.test', type: 'TXT', ttl: 60, records})
    const withTxt = (before: unknown[], after: unknown[]) => {
      const plan = JSON.parse(JSON.stringify(handPlan())) as {steps: unknown[]}
      plan.steps.splice(1, 0, {id: 'publish-companions', kind: 'dns-change', title: 'Publish companions', status: 'pending', changes: [{name: 'contoso.test', type: 'TXT', before: txt(before), after: txt(after)}]})
      return plan
    }
    const path = join(dir, 'g.plan.json')
    // As every plan file held TXT before the strings were kept: one joined string per record.
    writeFileSync(path, JSON.stringify(withTxt(['v=spf1 mx include:spf.a.test include:spf.b.test -all'], ['v=spf1 mx include:spf.a.test include:spf.b.test include:spf.t.test -all', 'MS=ms1'])))
    const old = await readPlanState(path)
    expect(old.steps[1].changes?.[0].before?.records).toEqual(['v=spf1 mx include:spf.a.test include:spf.b.test -all'])
    const split = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all']
    writeFileSync(path, JSON.stringify(withTxt([split], [['v=spf1 mx include:spf.a.test ', 'include:spf.b.test include:spf.t.test -all'], 'MS=ms1'])))
    const now = await readPlanState(path)
    expect(now.steps[1].changes?.[0].before?.records).toEqual([split])
    await writePlanState(path, now)
    expect(await readPlanState(path)).toEqual(now)
    writeFileSync(path, JSON.stringify(withTxt([['x'.repeat(256), 'y']], ['z'])))
    expect((await rejection(readPlanState(path))).message).toMatch(/at most 255 octets/)
  })
})
