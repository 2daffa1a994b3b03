import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {mxcut, run, timed, type BenchResult} from './common.js'

const RUNS = 15

/**
 * (c) Start-up of the built CLI against `node -e 0`, measured interleaved
 * (one of each per round, so a busy moment touches both sides): --version,
 * and each command as far as its own work begins: status of a real plan file
 * (what a timer runs every few minutes), verify and audit up to the point
 * where they would ask DNS (a missing plan file, a missing domain: the
 * command and everything it loads, then exit 2). The fastest of 15 runs
 * on each side: on a shared machine other work only ever adds time, so the
 * minimum is the start-up itself and the median mostly the neighbours.
 */
export async function benchColdStart(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-bench-start-'))
  const plan = join(dir, 'tailspin.plan.json')
  await mxcut(['plan', 'plans/examples/tailspin-toys.yaml', '--zone', 'plans/examples/tailspin-toys.zone', '--out', plan])
  const cases: Array<{name: string; args: string[]; goal: number}> = [
    {name: '--version', args: ['--version'], goal: 1.5},
    {name: 'status PLAN', args: ['status', plan], goal: 2},
    {name: 'verify (up to DNS)', args: ['verify', join(dir, 'missing.plan.json')], goal: 2},
    {name: 'audit (up to DNS)', args: ['audit'], goal: 2},
  ]
  for (const c of cases) await mxcut(c.args, {allowExit: [1, 2]})
  const node: number[] = []
  const ours = cases.map(() => [] as number[])
  for (let i = 0; i < RUNS; i++) {
    node.push((await timed(() => run(process.execPath, ['-e', '0']))).ms)
    for (const [k, c] of cases.entries()) ours[k].push((await timed(() => mxcut(c.args, {allowExit: [1, 2]}))).ms)
  }
  const n = Math.min(...node)
  return cases.map((c, k) => {
    const m = Math.min(...ours[k])
    return {
      name: `start-up: mxcut ${c.name} vs node -e 0 (goal ${c.goal}×)`,
      ratioOf: `node bin/run.js ${c.args[0]} ÷ node -e 0`,
      ratio: m / n,
      detail: `fastest of ${RUNS}, interleaved: mxcut ${c.name} ${m.toFixed(0)} ms, node -e 0 ${n.toFixed(0)} ms`,
    }
  })
}
