import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import type {PlanState, Step} from '../../src/state/schema.js'
import {recordedConfig} from '../helpers/recorded-config.js'
import {isPlanPath, readPlanState} from '../../src/state/file.js'
import {expectationFromPlan} from '../../src/verify/plan.js'

const oldMx = [{priority: 10, exchange: 'mx1.fabrikam.com'}]
const newMx = [{priority: 0, exchange: 'contoso-com.mail.protection.outlook.com'}]
const rr = (records: typeof oldMx, ttl: number) => ({name: 'contoso.com', type: 'MX', ttl, records})

function plan(steps: Step[], extra: Record<string, unknown> = {}): PlanState {
  return {
    version: 1,
    id: 'p1',
    domain: 'Contoso.com',
    zone: 'contoso.com',
    createdAt: '2025-01-01T00:00:00Z',
    strategy: 'replace',
    observed: {mx: {ttl: 3600, records: oldMx}, soa: null, nameservers: [], rrsets: [], at: '2025-01-01T00:00:00Z'},
    config: recordedConfig(extra),
    findings: [],
    steps,
  }
}
const lower: Step = {id: 'lower-ttl', kind: 'dns-change', title: 'Lower TTL', status: 'done', changes: [{name: 'contoso.com', type: 'MX', before: rr(oldMx, 3600), after: rr(oldMx, 300)}]}
const companions: Step = {id: 'publish-companions', kind: 'dns-change', title: 'Companions', status: 'done', changes: [{name: 'contoso.com', type: 'TXT', before: null, after: {name: 'contoso.com', type: 'TXT', ttl: 300, records: ['MS=ms1']}}]}
const swap = (status: Step['status']): Step => ({id: 'swap-mx', kind: 'dns-change', title: 'Swap MX', status, changes: [{name: 'contoso.com.', type: 'MX', before: rr(oldMx, 300), after: rr(newMx, 300)}]})

describe('expected MX from a plan', () => {
  test('before any MX change: the observed set and TTL', () => {
    const e = expectationFromPlan(plan([companions, {...lower, status: 'pending'}, swap('pending')]))
    expect(e).toMatchObject({domain: 'contoso.com', expected: oldMx, publishedTtl: 3600})
    expect(e.source).toMatch(/no MX change has been applied/)
  })

  test('after the TTL was lowered: same data, the before TTL is the published one', () => {
    expect(expectationFromPlan(plan([companions, lower, swap('pending')]))).toMatchObject({expected: oldMx, publishedTtl: 3600})
  })

  test('after the swap: the new set, the lowered TTL; a swap still running does not count', () => {
    expect(expectationFromPlan(plan([lower, swap('done')]))).toMatchObject({expected: newMx, publishedTtl: 300, source: expect.stringMatching(/swap-mx/)})
    expect(expectationFromPlan(plan([lower, swap('running')]))).toMatchObject({expected: oldMx, publishedTtl: 3600})
  })

  test('resolvers and name servers come from the plan config', () => {
    const e = expectationFromPlan(plan([lower], {resolvers: ['127.0.0.1:5300'], dns: {host: 'manual', nameservers: ['127.0.0.1:5301']}}))
    expect(e).toMatchObject({resolvers: ['127.0.0.1:5300'], nameservers: ['127.0.0.1:5301']})
  })
})

// One reader and one sniffer of plan files for every command (src/state/file.ts); the messages are that reader's.
describe('reading plan files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-verify-plan-'))
  test('a valid file parses; broken ones give one-line errors naming the problem', async () => {
    const good = join(dir, 'good.plan.json')
    writeFileSync(good, JSON.stringify(plan([{id: 'preflight', kind: 'audit', title: 'Pre-flight audit', status: 'done'}, lower])))
    expect((await readPlanState(good)).id).toBe('p1')
    const notJson = join(dir, 'a.plan.json')
    writeFileSync(notJson, 'nope')
    await expect(readPlanState(notJson)).rejects.toThrow(/is not valid JSON/)
    const wrong = join(dir, 'b.plan.json')
    writeFileSync(wrong, JSON.stringify({...plan([lower]), version: 2}))
    await expect(readPlanState(wrong)).rejects.toThrow(/not a valid mxcut plan: version/)
    await expect(readPlanState(join(dir, 'missing.plan.json'))).rejects.toThrow(/does not exist/)
  })

  test('plan paths', async () => {
    expect(await isPlanPath('plans/contoso.com.plan.json')).toBe(true)
    expect(await isPlanPath('contoso.com')).toBe(false)
    const state = join(dir, 'state.json')
    writeFileSync(state, JSON.stringify(plan([lower])))
    expect(await isPlanPath(state)).toBe(true)
    const yaml = join(dir, 'contoso.yaml')
    writeFileSync(yaml, 'version: 1\n')
    expect(await isPlanPath(yaml)).toBe(false)
  })
})
