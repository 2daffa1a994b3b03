import {existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import type {PlanState} from '../../src/state/schema.js'
import {parseJson, runCli, type CliResult} from '../helpers/cli.js'
import {cutoverZone, journalEvents, labEnv, makePlan, mxOn, nsupdate, readJournalLines, serialOn, TARGET_MX, writeConfig, rfc2136Lines} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

/**
 * What a hostile environment does to a plan between runs: a journal torn by
 * a crash mid-append, a plan file edited by hand, a change made by hand ahead
 * of the run, a record changed by someone else. Each through the real CLI
 * against BIND.
 */
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-hostile-'))
const zones = ['torn', 'edit', 'hand', 'drifted'].map((n) => cutoverZone(`${n}.test`, 3))

beforeAll(async () => {
  lab = await startLab({zones})
})
afterAll(async () => lab?.stop())

interface Status {
  state: string
  digest: string
  drift: {step: string; detectedAt: string; message: string} | null
  steps: Array<{id: string; status: string}>
}

function oneLine(r: CliResult): string {
  expect(r.code, r.stdout).toBe(2)
  expect(r.stderr).toMatch(/^mxcut: [^\n]+\n$/)
  expect(r.stderr).not.toMatch(/internal error/)
  return r.stderr
}

const resume = (plan: string, ...args: string[]) => runCli(['resume', plan, '--yes', ...args], {env: labEnv(lab), timeoutMs: 90_000})

async function expectComplete(zone: string, r: CliResult): Promise<void> {
  expect(r.code, r.stderr + r.stdout).toBe(0)
  expect(r.stdout).toMatch(/cutover complete/)
  for (const server of [lab.primary, lab.secondary]) expect(await mxOn(server, zone)).toEqual({ttl: 3, records: [`0 ${TARGET_MX}`]})
}

describe('a journal torn by a crash mid-append', () => {
  test('the fragment is set aside once (its bytes kept), and resume completes', {timeout: 120_000}, async () => {
    const zone = 'torn.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const first = await runCli(['run', plan, '--yes', '--until', 'lower-ttl'], {env: labEnv(lab)})
    expect(first.code, first.stderr).toBe(0)
    const journal = plan.replace(/\.json$/, '.journal.ndjson')
    const fragment = `{"at":"${new Date().toISOString()}","pid":4242,"run":"deadbeef","event":"intent","step":"swap-mx","intent":"0a1b2c`
    appendFileSync(journal, fragment)

    const r = await resume(plan)
    await expectComplete(zone, r)
    expect(r.stdout).toMatch(/journal .*torn\.test\.plan\.journal\.ndjson ended with a partial entry \(\d+ bytes, .*\): set aside in .*\.torn, continuing/)
    expect(readFileSync(`${journal}.torn`, 'utf8')).toBe(`${fragment}\n`)
    // Every line of the journal is a whole entry again; the repair is journaled once.
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean)
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow()
    expect(journalEvents(plan, 'journal-repaired')).toHaveLength(1)
    expect(journalEvents(plan, 'intent', 'swap-mx')).toHaveLength(1)
    expect(await serialOn(lab.primary, zone)).toBe(103)
    const again = await resume(plan)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).not.toMatch(/partial entry/)
  })
})

describe('a plan edited by hand', () => {
  test('four edits refused with one line each; the digest is shown and --digest admits only the approved plan', {timeout: 150_000}, async () => {
    const zone = 'edit.test'
    const config = writeConfig(dir, zone, {lowered: 1, margin: 0, dnsLines: rfc2136Lines(lab)})
    const path = join(dir, `${zone}.plan.json`)
    const made = await runCli(['plan', config, '--out', path, '--no-audit'], {env: labEnv(lab)})
    expect(made.code, made.stderr).toBe(0)
    const original = readFileSync(path, 'utf8')
    const state = JSON.parse(original) as PlanState
    const digest = state.digest ?? ''
    expect(digest).toMatch(/^[0-9a-f]{64}$/)
    const short = digest.slice(0, 12)
    // The review shows it, in every format; status and run show it too.
    expect(made.stdout).toContain(`Digest ${short} (sha256 ${digest})`)
    const md = await runCli(['plan', config, '--out', path, '--no-audit', '--format', 'md', '--force'], {env: labEnv(lab)})
    const mdDigest = /\| Plan digest \| `([0-9a-f]{12})` \(sha256 `([0-9a-f]{64})`\)/.exec(md.stdout)
    expect(mdDigest?.[2]).toMatch(/^[0-9a-f]{64}$/)
    const json = await runCli(['plan', config, '--out', path, '--no-audit', '--json', '--force'], {env: labEnv(lab)})
    const written = JSON.parse(readFileSync(path, 'utf8')) as PlanState
    expect(parseJson<{plans: Array<{digest: string}>}>(json).plans[0].digest).toBe(written.digest)
    // Planned again at another instant: same steps, so the same digest.
    expect(written.digest).toBe(digest)
    expect(mdDigest?.[2]).toBe(digest)
    writeFileSync(path, original)
    expect(parseJson<Status>(await runCli(['status', path, '--json'])).digest).toBe(digest)

    const edits: Array<[string, (p: PlanState) => PlanState, RegExp]> = [
      ['the target MX, everywhere', (p) => JSON.parse(JSON.stringify(p).replaceAll(TARGET_MX, 'mx.attacker.test')) as PlanState, /was changed after mxcut plan wrote it: its steps, changes or rollback no longer match its digest/],
      [
        "swap-mx's after-state only",
        (p) => {
          p.steps.find((s) => s.id === 'swap-mx')!.changes![0].after!.records = [{priority: 0, exchange: 'mx.attacker.test'}]
          return p
        },
        /is not coherent \(edited by hand\?\): steps: verify-propagation expects MX 0 mx\.target\.test, but the changes before it leave MX 0 mx\.attacker\.test/,
      ],
      [
        'preflight moved to the end',
        (p) => {
          p.steps.push(...p.steps.splice(0, 1))
          return p
        },
        /is not coherent \(edited by hand\?\): preflight is step \d+, not the first/,
      ],
      [
        'the rollback restores another MX',
        (p) => {
          p.rollbackPlan!.procedures.find((x) => x.from === 'swap-mx')!.steps[0].changes![0].after!.records = [{priority: 0, exchange: 'mx.attacker.test'}]
          return p
        },
        /is not coherent \(edited by hand\?\): the rollback after swap-mx: verify-rollback expects MX 10 mail\.edit\.test/,
      ],
    ]
    for (const [what, edit, refusal] of edits) {
      writeFileSync(path, JSON.stringify(edit(JSON.parse(original) as PlanState), null, 2))
      for (const args of [['run', path, '--yes'], ['resume', path, '--yes'], ['status', path]]) {
        const r = await runCli(args, {env: labEnv(lab)})
        expect(oneLine(r), `${what}: ${args[0]}`).toMatch(refusal)
      }
      expect(existsSync(path.replace(/\.json$/, '.lock'))).toBe(false)
    }
    // An editor who also rewrites the recorded digest gets a plan that loads: --digest refuses it.
    const forged = JSON.parse(original.replaceAll(TARGET_MX, 'mx.attacker.test')) as PlanState
    delete forged.digest
    writeFileSync(path, JSON.stringify(forged, null, 2))
    const refused = await runCli(['run', path, '--yes', '--digest', short], {env: labEnv(lab)})
    expect(oneLine(refused)).toMatch(new RegExp(`has digest [0-9a-f]{12}, not the approved ${short}: it is not the plan that was reviewed; nothing was done`))
    expect(await serialOn(lab.primary, zone)).toBe(100)

    writeFileSync(path, original)
    const wrong = await runCli(['run', path, '--yes', '--digest', 'abcdef12'], {env: labEnv(lab)})
    expect(oneLine(wrong)).toMatch(/not the approved abcdef12/)
    const tooShort = await runCli(['run', path, '--yes', '--digest', 'abc'], {env: labEnv(lab)})
    expect(oneLine(tooShort)).toMatch(/--digest abc: give the digest mxcut plan printed/)
    const approved = await runCli(['run', path, '--yes', '--digest', short, '--until', 'lower-ttl'], {env: labEnv(lab)})
    expect(approved.code, approved.stderr).toBe(0)
    expect(approved.stdout).toContain(`digest ${short} (the approved one)`)
    const ran = await runCli(['resume', path, '--yes', '--digest', digest, '--json'], {env: labEnv(lab), timeoutMs: 90_000})
    expect(parseJson<{digest: string; outcome: {kind: string}}>(ran)).toMatchObject({digest, outcome: {kind: 'done'}})
    // Running did not change the digest: the run-time fields are not part of it.
    expect(parseJson<Status>(await runCli(['status', path, '--json'])).digest).toBe(digest)
  })
})

describe('changes made by hand, and drift', () => {
  test('resume accepts the next planned change made by hand, as run does', {timeout: 120_000}, async () => {
    const zone = 'hand.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const first = await runCli(['run', plan, '--yes', '--until', 'lower-ttl'], {env: labEnv(lab)})
    expect(first.code, first.stderr).toBe(0)
    // The admin makes the swap in the DNS console before resuming: exactly what swap-mx sets.
    await nsupdate(lab, [`zone ${zone}`, `update delete ${zone} MX`, `update add ${zone} 1 MX 0 ${TARGET_MX}.`])
    await lab.waitForSerial(lab.secondary, zone, 102)
    const r = await resume(plan)
    await expectComplete(zone, r)
    expect(r.stdout).toMatch(/drift check: 1 RRset set by finished steps unchanged on every authoritative server; already as the next planned change sets it \(made ahead of the run\): hand\.test MX \(swap-mx\)/)
    expect(journalEvents(plan, 'already-applied', 'swap-mx')).toHaveLength(1)
    expect(journalEvents(plan, 'intent', 'swap-mx')).toHaveLength(0)
    expect(journalEvents(plan, 'drift')).toHaveLength(0)
  })

  test('drift found by resume among finished steps is recorded in the plan: status tells it until a check finds none', {timeout: 120_000}, async () => {
    const zone = 'drifted.test'
    const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
    const first = await runCli(['run', plan, '--yes', '--until', 'lower-ttl'], {env: labEnv(lab)})
    expect(first.code, first.stderr).toBe(0)
    await nsupdate(lab, [`zone ${zone}`, `update delete ${zone} MX`, `update add ${zone} 1 MX 20 other.example.test.`])
    await lab.waitForSerial(lab.secondary, zone, 102)
    const drifted = await resume(plan)
    expect(drifted.code).toBe(1)
    expect(drifted.stdout).toMatch(/drift since step lower-ttl: drifted\.test MX/)

    const status = parseJson<Status>(await runCli(['status', plan, '--json']))
    expect(status.state).toBe('failed')
    expect(status.drift).toMatchObject({step: 'lower-ttl', message: expect.stringMatching(/^drift since step lower-ttl: drifted\.test MX on .* is not what that step left$/)})
    expect(Date.parse(status.drift?.detectedAt ?? '')).toBeGreaterThan(Date.now() - 60_000)
    const text = await runCli(['status', plan])
    expect(text.stdout).toMatch(/drift found by resume .*: drift since step lower-ttl/)

    // Put back what lower-ttl left: the next resume finds no drift, clears the record and completes.
    await nsupdate(lab, [`zone ${zone}`, `update delete ${zone} MX`, `update add ${zone} 1 MX 10 mail.${zone}.`])
    await lab.waitForSerial(lab.secondary, zone, 103)
    await expectComplete(zone, await resume(plan))
    const after = parseJson<Status>(await runCli(['status', plan, '--json']))
    expect(after).toMatchObject({state: 'done', drift: null})
    const applied = readJournalLines(plan).filter((e) => e.event === 'outcome' && e['result'] === 'applied').map((e) => e.step)
    expect(applied).toEqual(['lower-ttl', 'swap-mx', 'restore-ttl'])
  })
})
