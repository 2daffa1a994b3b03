import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

/**
 * Shared by the benchmarks: every figure is a ratio against a peer measured
 * in the same run on the same machine, never a bare absolute time.
 */

/** The package root whose bin/run.js is measured: this checkout (npm run bench builds dist/ first), or MXCUT_BENCH_ROOT. */
export const root = process.env.MXCUT_BENCH_ROOT ?? fileURLToPath(new URL('../..', import.meta.url))

export interface BenchResult {
  name: string
  /** What the ratio compares, e.g. "mxcut q/s ÷ c-ares q/s". */
  ratioOf: string
  ratio: number
  /** The measured figures behind the ratio, for the log. */
  detail: string
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ms: number; value: T}> {
  const t = performance.now()
  const value = await fn()
  return {ms: performance.now() - t, value}
}

/** Runs a process to completion; rejects on a non-zero exit. */
export function run(cmd: string, args: string[], options: {env?: Record<string, string>; cwd?: string} = {}): Promise<{stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd: options.cwd ?? root, env: {...process.env, MXCUT_LOOPBACK_ONLY: '1', NO_COLOR: '1', ...options.env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve({stdout, stderr}) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`))))
  })
}

/** The built CLI, as a user runs it. */
export function mxcut(args: string[], options: {allowExit?: number[]} = {}): Promise<{stdout: string; stderr: string; code: number}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${root}/bin/run.js`, ...args], {cwd: root, env: {...process.env, MXCUT_LOOPBACK_ONLY: '1', NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0 || (code !== null && options.allowExit?.includes(code))) resolve({stdout, stderr, code: code ?? 0})
      else reject(new Error(`mxcut ${args.join(' ')} exited ${code}: ${stderr.trim()}`))
    })
  })
}
