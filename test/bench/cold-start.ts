import {median, mxcut, run, timed, type BenchResult} from './common.js'

const RUNS = 7

/** (c) `mxcut --version` from the built CLI against `node -e 0`: what oclif and our imports add to Node's own start. */
export async function benchColdStart(): Promise<BenchResult> {
  await mxcut(['--version'])
  const ours: number[] = []
  const node: number[] = []
  for (let i = 0; i < RUNS; i++) {
    node.push((await timed(() => run(process.execPath, ['-e', '0']))).ms)
    ours.push((await timed(() => mxcut(['--version']))).ms)
  }
  const m = median(ours)
  const n = median(node)
  return {
    name: 'CLI cold start vs node -e 0',
    ratioOf: 'node bin/run.js --version ÷ node -e 0',
    ratio: m / n,
    detail: `median of ${RUNS}: mxcut --version ${m.toFixed(0)} ms, node -e 0 ${n.toFixed(0)} ms`,
  }
}
