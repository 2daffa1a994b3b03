import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * How tests start the CLI: from source under tsx by default (no build needed
 * while developing), or the built dist/ when MXCUT_TEST_CLI=dist (set by
 * `npm run test:all`, which builds first): start-up is several times faster.
 */
export function cliArgv(): string[] {
  if (process.env.MXCUT_TEST_CLI === 'dist') return [process.execPath, `${root}bin/run.js`]
  return [process.execPath, '--import', 'tsx', '--no-warnings', `${root}bin/dev.js`]
}

/** The same as a shell command line (for tmux), quoted. */
export function cliCommandLine(): string {
  return cliArgv()
    .map((a) => `'${a}'`)
    .join(' ')
}

export {root as packageRoot}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the real CLI from source (bin/dev.js under tsx) as a user would, with
 * no TTY and MXCUT_LOOPBACK_ONLY set. `input` is written to stdin, then closed.
 */
export function runCli(args: string[], options: {env?: Record<string, string | undefined>; input?: string; cwd?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [node, ...pre] = cliArgv()
    const child = spawn(node, [...pre, ...args], {
      cwd: options.cwd ?? root,
      env: {...process.env, MXCUT_LOOPBACK_ONLY: '1', NO_COLOR: '1', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
}

export function parseJson<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  }
}
