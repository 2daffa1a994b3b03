import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {diffLines} from '../../src/run/live.js'
import type {RRsetChange} from '../../src/state/schema.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, readJournalLines, readPlan, rfc2136Lines, writeConfig} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

/**
 * The rollback that runs is the rollback the review showed: the changes
 * `mxcut rollback` makes (its journal) are the stored procedure's, in order,
 * and the resolvers serve the original MX before the TTL goes back up.
 */
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-rollback-'))

beforeAll(async () => {
  lab = await startLab({zones: [cutoverZone('low.test', 2), cutoverZone('high.test', 6)], resolvers: [{}, {}]})
})
afterAll(async () => lab?.stop())

interface Intent {
  step: string
  changes: Array<{action: string; name: string; type: string; ttl?: number; records?: Array<{priority: number; exchange: string}>}>
}

/** The record changes the rollback journaled, as "step: TTL records". */
function journaledRollback(plan: string): string[] {
  const entries = readJournalLines(plan)
  const start = entries.findIndex((e) => e.event === 'rollback-start')
  return entries
    .slice(start)
    .filter((e) => e.event === 'intent' || (e.event === 'verify' && e.step === 'verify-rollback'))
    .map((e) => (e.event === 'verify' ? `${e.step}: converged=${String(e['converged'])}` : (e as unknown as Intent).changes.map((c) => `${(e as unknown as Intent).step}: ${c.ttl} ${(c.records ?? []).map((r) => `${r.priority} ${r.exchange}`).join(',')}`).join(';')))
}

function stored(change: RRsetChange | undefined): string {
  return `${change?.after?.ttl} ${(change?.after?.records ?? []).map((r) => (typeof r === 'object' && 'exchange' in r ? `${r.priority} ${r.exchange}` : '')).join(',')}`
}

describe('mxcut rollback runs the procedure the plan stores', () => {
  test('MX TTL (2 s) below ttl.lowered (4 s): the review says "restore at TTL 2", and that one change is all the rollback makes, after which it verifies', {timeout: 90_000}, async () => {
    const zone = 'low.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 4, margin: 1})
    const review = await runCli(['plan', writeConfig(dir, zone, {lowered: 4, margin: 1, dnsLines: rfc2136Lines(lab)}), '--out', join(dir, 'review.plan.json'), '--no-audit', '--format', 'md'], {env: labEnv(lab)})
    const procedure = readPlan(plan).rollbackPlan?.procedures.find((p) => p.from === 'swap-mx')
    expect(procedure?.steps.map((s) => s.id)).toEqual(['rollback-mx', 'verify-rollback'])
    const restore = procedure?.steps[0].changes?.[0]
    expect(restore?.after).toMatchObject({ttl: 2, records: [{priority: 10, exchange: `mail.${zone}`}]})
    // The Markdown review shows exactly this change.
    const rendered = diffLines(procedure?.steps[0].changes ?? []).slice(1)
    expect(rendered).toEqual([`  - ${zone}. 2 IN MX 0 mx.target.test.`, `  + ${zone}. 2 IN MX 10 mail.${zone}.`])
    for (const line of rendered) expect(review.stdout).toContain(line.trim())
    expect(review.stdout).not.toMatch(/Restore the MX TTL/)

    const run = await runCli(['run', plan, '--yes', '--until', 'verify-propagation'], {env: labEnv(lab)})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const back = await runCli(['rollback', plan, '--yes'], {env: labEnv(lab)})
    expect(back.code, back.stderr + back.stdout).toBe(0)
    expect(journaledRollback(plan)).toEqual([`rollback-mx: ${stored(restore)}`, 'verify-rollback: converged=true'])
    for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 2, records: [`10 mail.${zone}`]})
    const status = parseJson<{state: string; resumeCommand: string | null}>(await runCli(['status', plan, '--json']))
    expect(status.state).toBe('rolled-back')
  })

  test('MX TTL 6 s lowered to 2 s: original MX at 2 s, every resolver verified, then TTL 6 s; the journal holds the stored changes in order', {timeout: 90_000}, async () => {
    const zone = 'high.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 2, margin: 1})
    // Both resolvers hold the MX, so the rollback's verification has caches to wait out.
    for (const r of lab.resolvers) await query(r, zone, 'MX', {timeoutMs: 1000})
    const run = await runCli(['run', plan, '--yes', '--until', 'verify-propagation'], {env: labEnv(lab)})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    for (const r of lab.resolvers) await query(r, zone, 'MX', {timeoutMs: 1000})
    const procedure = readPlan(plan).rollbackPlan?.procedures.find((p) => p.from === 'swap-mx')
    expect(procedure?.steps.map((s) => s.id)).toEqual(['rollback-mx', 'verify-rollback', 'rollback-ttl'])

    const back = await runCli(['rollback', plan, '--yes'], {env: labEnv(lab)})
    expect(back.code, back.stderr + back.stdout).toBe(0)
    expect(journaledRollback(plan)).toEqual([`rollback-mx: ${stored(procedure?.steps[0].changes?.[0])}`, 'verify-rollback: converged=true', `rollback-ttl: ${stored(procedure?.steps[2].changes?.[0])}`])
    const state = readPlan(plan)
    const done = state.rollbackPlan?.procedures.find((p) => p.from === 'swap-mx')?.steps ?? []
    // The TTL went up only after the resolvers served the original MX.
    expect(Date.parse(done[2].startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done[1].finishedAt ?? ''))
    const verified = done[1].evidence as {resolvers: Array<{status: string}>}
    expect(verified.resolvers.map((r) => r.status)).toEqual(['updated', 'updated'])
    for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 6, records: [`10 mail.${zone}`]})
    expect(state.rollback).toMatchObject({status: 'done', procedure: 'swap-mx'})
  })
})
