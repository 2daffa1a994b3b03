import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {serverLabel} from '../../src/dns/server.js'
import type {Lab} from '../lab/lab.js'
import {mxcut, timed, type BenchResult} from './common.js'

/**
 * (d) A whole lab cutover (`mxcut plan` then `mxcut run --yes`, against real
 * BIND with RFC 2136 updates and Unbound resolvers) against its floor: the
 * waits no correct run can skip, i.e. the longest wait rule before the swap
 * (old TTL + margin) plus the lowered TTL resolvers may hold the old MX for.
 * The ratio minus one is the runner's own overhead.
 */
export async function benchCutover(lab: Lab, zone: string): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-bench-cutover-'))
  process.env.MXCUT_BENCH_TSIG = lab.tsig.sha256.secret
  try {
    const config = join(dir, 'cutover.yaml')
    writeFileSync(
      config,
      `version: 1
domain: ${zone}
target:
  profile: microsoft365
  mx: ["0 ${zone.replace(/\./g, '-')}.mail.protection.outlook.com"]
  verification: MS=ms55554444
  autodiscover: false
  dkim: false
ttl: {lowered: 2, margin: 1}
cleanup: {enabled: false}
dns:
  host: rfc2136
  rfc2136: {server: "${serverLabel(lab.primary)}", key: {name: ${lab.tsig.sha256.name}, algorithm: hmac-sha256, secret: "env:MXCUT_BENCH_TSIG"}}
  nameservers: ["${serverLabel(lab.primary)}", "${serverLabel(lab.secondary)}"]
resolvers: ["${serverLabel(lab.resolvers[0])}", "${serverLabel(lab.resolvers[1])}"]
`,
    )
    const planFile = join(dir, 'cutover.plan.json')
    await mxcut(['plan', config, '--out', planFile, '--no-audit'])
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as {steps: Array<{id: string; waitFor?: Array<{seconds: number}>}>}
    const waitBefore = Math.max(0, ...plan.steps.filter((s) => s.id.startsWith('wait')).flatMap((s) => (s.waitFor ?? []).map((w) => w.seconds)))
    const floor = waitBefore + 2
    const {ms} = await timed(() => mxcut(['run', planFile, '--yes']))
    const after = JSON.parse(readFileSync(planFile, 'utf8')) as {steps: Array<{status: string}>}
    if (!after.steps.every((s) => s.status === 'done')) throw new Error('cutover bench: the run did not finish every step')
    return {
      name: 'lab cutover vs its TTL floor',
      ratioOf: 'mxcut run elapsed ÷ (longest wait before the swap + lowered TTL)',
      ratio: ms / 1000 / floor,
      detail: `old MX TTL 8 s lowered to 2 s, margin 1 s: run ${(ms / 1000).toFixed(1)} s against a floor of ${floor} s (overhead ${(ms / 1000 - floor).toFixed(1)} s, including the CLI start)`,
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
