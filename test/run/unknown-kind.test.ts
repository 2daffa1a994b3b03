import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {STEP_HANDLERS} from '../../src/run/steps/table.js'
import {stepKindSchema} from '../../src/state/schema.js'
import {runCli} from '../helpers/cli.js'
import {handPlan} from './fixtures.js'

describe('step kinds', () => {
  test('every kind the plan file may hold has a handler, and no handler is for a kind it may not hold', () => {
    expect(Object.keys(STEP_HANDLERS).sort()).toEqual([...stepKindSchema.options].sort())
  })

  test('a plan with a step of an unknown kind is refused at load with one line; nothing runs, the file is untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxcut-kind-'))
    const path = join(dir, 'contoso.test.plan.json')
    const plan = handPlan()
    const edited = {...plan, steps: plan.steps.map((s) => (s.id === 'wait-old-ttl' ? {...s, kind: 'teleport'} : s))}
    const text = JSON.stringify(edited, null, 2)
    writeFileSync(path, text)
    for (const command of [['run', path, '--yes'], ['status', path], ['rollback', path, '--yes']]) {
      const r = await runCli(command)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^mxcut: plan .* is not a valid mxcut plan: steps\[2\]\.kind: .*\n$/)
      expect(r.stderr).not.toContain('internal error')
      expect(readFileSync(path, 'utf8')).toBe(text)
    }
  })
})
