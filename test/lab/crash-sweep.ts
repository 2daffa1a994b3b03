/**
 * kill -9 sweep (not part of the suite; run once, as root, after a build):
 *
 *   npm run build && MXCUT_TEST_CLI=dist npx tsx test/lab/crash-sweep.ts
 *
 * Kills `mxcut run` (and `mxcut rollback`) with SIGKILL at many instants,
 * then resumes (or rolls back again) and checks the zone each time: the right
 * MX on both servers, and every UPDATE made exactly once (the SOA serial
 * counts them). Instants: right after each journal entry is durable
 * (MXCUT_FAILPOINT=journal:N), right before each plan-file rename (save:N),
 * at every named failpoint, evenly over whole cutovers (timed), and after
 * each journal entry of a rollback. test/lab/run-crash.test.ts keeps a
 * representative handful in the suite.
 */
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from '../helpers/cli.js'
import {cutoverZone, labEnv, makePlan, mxOn, procState, readJournalLines, serialOn, spawnCli, TARGET_MX, until} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

type Kind = 'forward' | 'rollback'
interface Instant {
  kind: Kind
  label: string
  failpoint?: string
  afterMs?: number
}
interface Outcome {
  instant: Instant
  reached: boolean
  ok: boolean
  detail: string
}

const ZONES = Number(process.env.SWEEP_ZONES ?? 160)
const CONCURRENCY = Number(process.env.SWEEP_CONCURRENCY ?? 3)
const dir = mkdtempSync(join(tmpdir(), 'mxcut-sweep-'))
const zones = Array.from({length: ZONES}, (_, i) => cutoverZone(`w${i}.test`, 3))
let next = 0
const takeZone = () => {
  if (next >= zones.length) throw new Error('sweep: out of zones; raise SWEEP_ZONES')
  return zones[next++].name
}

async function calibrate(lab: Lab): Promise<{journal: number; saves: number; ms: number; rollbackJournal: number}> {
  const zone = takeZone()
  const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
  const started = Date.now()
  const r = await runCli(['run', plan, '--yes'], {env: labEnv(lab), timeoutMs: 120_000})
  if (r.code !== 0) throw new Error(`calibration run failed: ${r.stderr}`)
  const ms = Date.now() - started
  const journal = readJournalLines(plan).length
  // Saves: count them with a failpoint that never matches a real name, from a second plan.
  const zone2 = takeZone()
  const plan2 = await makePlan(dir, lab, zone2, {lowered: 1, margin: 0})
  const first = await runCli(['run', plan2, '--yes', '--until', 'swap-mx'], {env: labEnv(lab), timeoutMs: 120_000})
  if (first.code !== 0) throw new Error(`calibration --until failed: ${first.stderr}`)
  const before = readJournalLines(plan2).length
  const rb = await runCli(['rollback', plan2, '--yes'], {env: labEnv(lab), timeoutMs: 120_000})
  if (rb.code !== 0) throw new Error(`calibration rollback failed: ${rb.stderr}`)
  const rollbackJournal = readJournalLines(plan2).length - before
  // A full run saves the plan 16 times today; a few more instants are tried, and reported as not reached.
  return {journal, saves: 20, ms, rollbackJournal}
}

async function runInstant(lab: Lab, instant: Instant): Promise<Outcome> {
  const zone = takeZone()
  const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
  const env = {...labEnv(lab), ...(instant.failpoint ? {MXCUT_FAILPOINT: instant.failpoint} : {})}
  if (instant.kind === 'rollback') {
    const swapped = await runCli(['run', plan, '--yes', '--until', 'swap-mx'], {env: labEnv(lab), timeoutMs: 120_000})
    if (swapped.code !== 0) return {instant, reached: false, ok: false, detail: `setup failed: ${swapped.stderr}`}
  }
  const args = instant.kind === 'forward' ? ['run', plan, '--yes'] : ['rollback', plan, '--yes']
  const child = spawnCli(args, env)
  let reached = true
  if (instant.failpoint) {
    await until(`failpoint ${instant.failpoint}`, () => procState(child.pid) === 'T' || child.child.exitCode !== null, 120_000)
    reached = child.child.exitCode === null
  } else {
    await new Promise((r) => setTimeout(r, instant.afterMs))
    reached = child.child.exitCode === null
  }
  child.child.kill('SIGKILL')
  await child.result
  const again = instant.kind === 'forward' ? ['resume', plan, '--yes'] : ['rollback', plan, '--yes']
  const r = await runCli(again, {env: labEnv(lab), timeoutMs: 120_000})
  const problems: string[] = []
  if (r.code !== 0) problems.push(`${again[0]} exit ${r.code}: ${r.stderr.trim()}`)
  const want = instant.kind === 'forward' ? {ttl: 3, records: [`0 ${TARGET_MX}`]} : {ttl: 3, records: [`10 mail.${zone}`]}
  const serial = instant.kind === 'forward' ? 103 : 104
  for (const server of [lab.primary, lab.secondary]) {
    const mx = await mxOn(server, zone)
    if (JSON.stringify(mx) !== JSON.stringify(want)) problems.push(`${server.address} serves ${JSON.stringify(mx)}`)
    const s = await serialOn(server, zone)
    if (s !== serial) problems.push(`${server.address} serial ${s}, want ${serial} (an UPDATE missing or made twice)`)
  }
  const applied = readJournalLines(plan).filter((e) => e.event === 'outcome' && e['result'] === 'applied')
  const perStep = new Map<string, number>()
  for (const e of applied) perStep.set(e.step ?? '', (perStep.get(e.step ?? '') ?? 0) + 1)
  for (const [step, n] of perStep) if (n > 1) problems.push(`${step} applied ${n} times`)
  // The plan file is whole JSON at every instant.
  try {
    JSON.parse(readFileSync(plan, 'utf8'))
  } catch {
    problems.push('plan file is not JSON')
  }
  return {instant, reached, ok: problems.length === 0, detail: problems.join('; ')}
}

async function main(): Promise<void> {
  const lab = await startLab({zones})
  try {
    const cal = await calibrate(lab)
    process.stdout.write(`calibration: a full run writes ${cal.journal} journal entries in ${(cal.ms / 1000).toFixed(1)} s; a rollback after the swap ${cal.rollbackJournal}\n`)
    const instants: Instant[] = []
    for (let n = 1; n <= cal.journal; n++) instants.push({kind: 'forward', label: `after journal entry ${n}`, failpoint: `journal:${n}`})
    for (let n = 1; n <= cal.saves; n++) instants.push({kind: 'forward', label: `before plan rename ${n}`, failpoint: `save:${n}`})
    for (const step of ['lower-ttl', 'swap-mx', 'restore-ttl']) {
      for (const fp of ['after-intent', 'after-apply', 'converging', 'before-save']) instants.push({kind: 'forward', label: `${fp}:${step}`, failpoint: `${fp}:${step}`})
    }
    instants.push({kind: 'forward', label: 'during-verify', failpoint: 'during-verify:verify-propagation'})
    const timed = 16
    for (let i = 1; i <= timed; i++) instants.push({kind: 'forward', label: `timed ${i}/${timed}`, afterMs: Math.round((cal.ms * i) / (timed + 1))})
    for (let n = 1; n <= cal.rollbackJournal; n++) instants.push({kind: 'rollback', label: `rollback after journal entry ${n}`, failpoint: `journal:${n}`})
    for (const fp of ['after-intent:rollback-mx', 'after-apply:rollback-mx', 'after-apply:rollback-ttl', 'during-verify:verify-rollback']) instants.push({kind: 'rollback', label: fp, failpoint: fp})

    const outcomes: Outcome[] = []
    let i = 0
    await Promise.all(
      Array.from({length: CONCURRENCY}, async () => {
        while (i < instants.length) {
          const instant = instants[i++]
          const o = await runInstant(lab, instant).catch((err: unknown) => ({instant, reached: true, ok: false, detail: String(err)}))
          outcomes.push(o)
          process.stdout.write(`${o.ok ? 'ok  ' : 'FAIL'} ${o.reached ? '' : '(not reached, ran to its end) '}${instant.kind} ${instant.label}${o.detail ? `: ${o.detail}` : ''}\n`)
        }
      }),
    )
    const reached = outcomes.filter((o) => o.reached)
    const failed = outcomes.filter((o) => !o.ok)
    process.stdout.write(
      `\nkill -9 sweep: ${outcomes.length} instants tried, ${reached.length} killed mid-run (${outcomes.length - reached.length} ran to their end first), ${outcomes.length - failed.length} resumed correctly, ${failed.length} failed\n`,
    )
    process.exitCode = failed.length === 0 ? 0 : 1
  } finally {
    await lab.stop()
  }
}

await main()
