import {spawn} from 'node:child_process'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {cliArgv, packageRoot, runCli, type CliResult} from '../helpers/cli.js'
import {recordedConfig} from '../helpers/recorded-config.js'
import {handPlan} from '../run/fixtures.js'
import {mountTmpfs, type Tmpfs} from './tmpfs.js'

/**
 * Errors a user can fix, from the operating system and from a config file,
 * each one line naming the path and the cause (exit 2), never "internal
 * error", and the plan file as it was: EACCES and EPERM (as an unprivileged
 * user), EROFS and ENOSPC (real tmpfs mounts, as root), EISDIR, and a YAML
 * alias bomb. Input quoted in a message is bounded and escaped.
 */
const NOBODY = 65534
const dirs: string[] = []
const mounts: Tmpfs[] = []
afterAll(() => {
  for (const m of mounts) m.unmount()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

function tempDir(mode: number): string {
  const d = mkdtempSync(join(tmpdir(), 'mxcut-os-'))
  chmodSync(d, mode)
  dirs.push(d)
  return d
}

/** A coherent plan no run can get far with: a manual host and a name server nobody answers on. */
function writePlan(dir: string, mode = 0o600): string {
  const path = join(dir, 'contoso.test.plan.json')
  const plan = handPlan({config: recordedConfig({domain: 'contoso.test', dns: {host: 'manual', nameservers: ['127.0.0.1:9']}, resolvers: []})})
  writeFileSync(path, JSON.stringify(plan, null, 2))
  chmodSync(path, mode)
  return path
}

/** The CLI as the unprivileged user nobody (root reads and writes everything). */
function runAsNobody(args: string[]): Promise<CliResult> {
  const home = tempDir(0o755)
  chownSync(home, NOBODY, NOBODY)
  return new Promise((resolve, reject) => {
    const [node, ...pre] = cliArgv()
    const child = spawn(node, [...pre, ...args], {cwd: packageRoot, uid: NOBODY, gid: NOBODY, env: {...process.env, HOME: home, MXCUT_LOOPBACK_ONLY: '1', NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

function expectOneLine(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(2)
  expect(r.stderr).toMatch(/^mxcut: [^\n]+\n$/)
  expect(r.stderr).not.toMatch(/internal error/)
  expect(r.stderr).toMatch(pattern)
}

const unchanged = (path: string, before: string) => expect(readFileSync(path, 'utf8')).toBe(before)

describe('seven errors a user can fix, one line each', () => {
  test('EACCES on the plan: it cannot be read', async () => {
    const plan = writePlan(tempDir(0o755), 0o600)
    const r = await runAsNobody(['status', plan])
    expectOneLine(r, /cannot read plan \/\S+contoso\.test\.plan\.json: permission denied \(EACCES\); check the owner and mode/)
  })

  test('EACCES on the lock: the plan is readable, its directory not writable', async () => {
    const plan = writePlan(tempDir(0o755), 0o644)
    const before = readFileSync(plan, 'utf8')
    const r = await runAsNobody(['run', plan, '--yes'])
    expectOneLine(r, /cannot create the lock \/\S+contoso\.test\.plan\.lock: permission denied \(EACCES\); nothing was changed/)
    unchanged(plan, before)
  })

  test('EPERM on the plan: a sticky directory lets nobody replace a file it does not own', async () => {
    const dir = tempDir(0o1777)
    const plan = writePlan(dir, 0o666)
    const before = readFileSync(plan, 'utf8')
    const r = await runAsNobody(['run', plan, '--yes'])
    expectOneLine(r, /cannot save plan \/\S+contoso\.test\.plan\.json: operation not permitted \(EPERM\); the plan file keeps its last saved state/)
    unchanged(plan, before)
  })

  test('EROFS: the plan on a read-only file system', async () => {
    const fs = mountTmpfs(256, 'mxcut-os-ro-')
    mounts.push(fs)
    const plan = writePlan(fs.dir)
    const before = readFileSync(plan, 'utf8')
    fs.readOnly(true)
    const r = await runCli(['run', plan, '--yes'])
    expectOneLine(r, /cannot create the lock \/\S+contoso\.test\.plan\.lock: read-only file system \(EROFS\); nothing was changed; move the plan to a writable directory/)
    unchanged(plan, before)
  })

  test('ENOSPC: no room for the journal', async () => {
    const fs = mountTmpfs(256, 'mxcut-os-full-')
    mounts.push(fs)
    const plan = writePlan(fs.dir)
    const before = readFileSync(plan, 'utf8')
    fs.leave(4096)
    const r = await runCli(['run', plan, '--yes'])
    expectOneLine(r, /cannot (append to journal \/\S+\.journal\.ndjson|write the lock \/\S+\.lock): no space left on device \(ENOSPC\)/)
    unchanged(plan, before)
  })

  test('EISDIR: a directory where the journal (or the lock) belongs', async () => {
    const dir = tempDir(0o755)
    const plan = writePlan(dir)
    const before = readFileSync(plan, 'utf8')
    mkdirSync(plan.replace(/\.json$/, '.journal.ndjson'))
    expectOneLine(await runCli(['run', plan, '--yes']), /cannot read journal \/\S+contoso\.test\.plan\.journal\.ndjson: is a directory \(EISDIR\); move that directory away/)
    rmSync(plan.replace(/\.json$/, '.journal.ndjson'), {recursive: true})
    mkdirSync(plan.replace(/\.json$/, '.lock'))
    expectOneLine(await runCli(['resume', plan, '--yes']), /cannot read the lock \/\S+contoso\.test\.plan\.lock: is a directory \(EISDIR\); move that directory away/)
    unchanged(plan, before)
  })

  test('a YAML alias bomb in a config', async () => {
    const dir = tempDir(0o755)
    let yaml = 'version: 1\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    let previous = 'a'
    for (let i = 0; i < 9; i++) {
      yaml += `b${i}: &b${i} [${Array(9).fill(`*${previous}`).join(',')}]\n`
      previous = `b${i}`
    }
    writeFileSync(join(dir, 'bomb.yaml'), yaml)
    const r = await runCli(['plan', join(dir, 'bomb.yaml'), '--out', join(dir, 'x.plan.json')])
    expectOneLine(r, /bomb\.yaml: its YAML aliases \(\*name\) expand too far \(more than 100 uses, as in an alias bomb\)/)
  })
})

describe('input quoted in messages', () => {
  test('a 10 MB domain, and one with terminal control characters: bounded, escaped, one line', async () => {
    const dir = tempDir(0o755)
    const big = join(dir, 'big.yaml')
    writeFileSync(big, `version: 1\ndomain: ${'a'.repeat(10_000_000)}.com\ntarget: {profile: custom, mx: ["0 mx.t.test"]}\n`)
    const r = await runCli(['plan', big, '--out', join(dir, 'x.plan.json')])
    expectOneLine(r, /is longer than 253 characters/)
    expect(r.stderr.length).toBeLessThan(600)
    expect(r.stderr).toMatch(/a{200}… \(10000004 characters\)/)

    const ctl = join(dir, 'ctl.yaml')
    writeFileSync(ctl, 'version: 1\ndomain: "evil\\e[31m\\u202e.com\\nforged: line"\ntarget: {profile: custom, mx: ["0 mx.t.test"]}\n')
    const c = await runCli(['plan', ctl, '--out', join(dir, 'x.plan.json')])
    expectOneLine(c, /'evil\\x1b\[31m\\u202e\.com\\nforged: line'/)
    expect(c.stderr).not.toMatch(/[\u001b\u202e]/)
  })
})
