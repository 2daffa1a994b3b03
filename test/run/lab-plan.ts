import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import type {MxData} from '../../src/dns/records.js'
import type {PlanState} from '../../src/state/schema.js'
import type {JournalEntry} from '../../src/run/journal.js'
import {cliArgv, runCli, type CliResult} from '../helpers/cli.js'
import type {Lab, LabZone} from '../lab/lab.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** A dynamic lab zone with an MX at `ttl` seconds, updated by the rfc2136 host in the tests. */
export function cutoverZone(name: string, ttl: number): LabZone {
  return {name, dynamic: true, ttl: 60, minimum: 2, serial: 100, records: [`@ ${ttl} IN MX 10 mail`, 'mail 60 IN A 127.0.0.25', '@ 60 IN TXT "v=spf1 mx -all"']}
}

export const TARGET_MX = 'mx.target.test'

export interface LabPlanOptions {
  lowered: number
  margin: number
  final?: number
  /** The config's dns: block and resolvers line; default: rfc2136Lines(lab). */
  dnsLines?: string[]
}

/** The TSIG secret travels as env:MXCUT_LAB_TSIG, as a user's would. */
export function labEnv(lab: Lab): Record<string, string> {
  return {MXCUT_LAB_TSIG: lab.tsig.sha256.secret}
}

/** The config's dns: block for the rfc2136 host against the lab's BIND, and the lab's resolvers. */
export function rfc2136Lines(lab: Lab): string[] {
  return [
    'dns:',
    '  host: rfc2136',
    `  rfc2136: {server: ${lab.primary.address}, key: {name: ${lab.tsig.sha256.name}, algorithm: hmac-sha256, secret: env:MXCUT_LAB_TSIG}}`,
    `  nameservers: [${lab.primary.address}, ${lab.secondary.address}]`,
    `resolvers: [${lab.resolvers.map((r) => r.address).join(', ')}]`,
  ]
}

export function writeConfig(dir: string, zone: string, o: LabPlanOptions & {dnsLines: string[]}): string {
  const path = join(dir, `${zone}.yaml`)
  writeFileSync(
    path,
    [
      'version: 1',
      `domain: ${zone}`,
      'target:',
      '  profile: custom',
      `  mx: ["0 ${TARGET_MX}"]`,
      'strategy: replace',
      `ttl: {lowered: ${o.lowered}, margin: ${o.margin}${o.final ? `, final: ${o.final}` : ''}}`,
      'cleanup: {enabled: false}',
      ...o.dnsLines,
      '',
    ].join('\n'),
  )
  return path
}

/** Makes the plan with the real `mxcut plan`, as a user would. */
export async function makePlan(dir: string, lab: Lab, zone: string, o: LabPlanOptions): Promise<string> {
  const config = writeConfig(dir, zone, {...o, dnsLines: o.dnsLines ?? rfc2136Lines(lab)})
  const out = join(dir, `${zone}.plan.json`)
  const r = await runCli(['plan', config, '--out', out, '--no-audit'], {env: labEnv(lab)})
  if (r.code !== 0) throw new Error(`mxcut plan failed (${r.code}): ${r.stderr}\n${r.stdout}`)
  return out
}

export function readPlan(path: string): PlanState {
  return JSON.parse(readFileSync(path, 'utf8')) as PlanState
}

export function readJournalLines(planPath: string): JournalEntry[] {
  const text = readFileSync(planPath.replace(/\.json$/, '.journal.ndjson'), 'utf8')
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JournalEntry)
}

export interface Mx {
  ttl: number | null
  records: string[]
}

/** The MX RRset a server serves, RD=0: what counts. */
export async function mxOn(server: DnsServer, zone: string): Promise<Mx> {
  const r = await query(server, zone, 'MX', {recursion: false, timeoutMs: 1000, retries: 2})
  const mx = r.answers.filter((a) => a.type === 'MX')
  return {ttl: mx.length > 0 ? Math.min(...mx.map((a) => a.ttl)) : null, records: mx.map((a) => `${(a.data as MxData).priority} ${(a.data as MxData).exchange}`).sort()}
}

export async function serialOn(server: DnsServer, zone: string): Promise<number | null> {
  const r = await query(server, zone, 'SOA', {recursion: false, timeoutMs: 1000, retries: 2})
  const soa = r.answers.find((a) => a.type === 'SOA')
  return soa ? (soa.data as {serial: number}).serial : null
}

export interface Spawned {
  child: ChildProcess
  pid: number
  result: Promise<CliResult>
  stdout(): string
  stderr(): string
}

/** The CLI as a separate process whose PID the test can signal (runCli hides it). */
export function spawnCli(args: string[], env: Record<string, string> = {}): Spawned {
  const [node, ...pre] = cliArgv()
  const child = spawn(node, [...pre, ...args], {
    cwd: root,
    env: {...process.env, MXCUT_LOOPBACK_ONLY: '1', NO_COLOR: '1', ...env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()))
  child.stdin?.end()
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({code, stdout: out, stderr: err})))
  return {child, pid: child.pid as number, result, stdout: () => out, stderr: () => err}
}

/** The state letter of a process in /proc (T when stopped by a failpoint). */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return null
  }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Someone else edits the zone (a colleague in the DNS console): nsupdate, signed with the lab key. */
export async function nsupdate(lab: Lab, lines: string[]): Promise<void> {
  const key = lab.tsig.sha256
  await new Promise<void>((resolve, reject) => {
    const child = spawn('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], {stdio: ['pipe', 'pipe', 'pipe']})
    let err = ''
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nsupdate exited ${code}: ${err}`))))
    child.stdin.end([`server ${lab.primary.address}`, ...lines, 'send', ''].join('\n'))
  })
}

export function journalEvents(planPath: string, event: string, step?: string): JournalEntry[] {
  try {
    return readJournalLines(planPath).filter((e) => e.event === event && (step === undefined || e.step === step))
  } catch {
    return []
  }
}
