/**
 * Real Knot DNS (knotd) for the lab: a primary that accepts RFC 2136 updates
 * signed with per-run TSIG keys, and a Knot secondary that follows it by
 * NOTIFY and IXFR, both on 127.0.0.1 with ports of their own. Needs the
 * Debian package knot (test/lab/install-servers.sh installs it).
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {freePort, newKey, zoneText, type LabZone, type TsigKey} from './lab.js'

export interface Knot {
  primary: DnsServer
  secondary: DnsServer
  /** Keys the primary accepts updates signed with. */
  tsig: {sha256: TsigKey; sha1: TsigKey}
  stop(): Promise<void>
}

export function knotAvailable(): boolean {
  try {
    execFileSync('knotd', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

function conf(o: {dir: string; listen: number; zones: string; keys: TsigKey[]; peer: number}): string {
  const keys = o.keys.map((k) => `  - id: ${k.name}\n    algorithm: ${k.algorithm}\n    secret: ${k.secret}\n`).join('')
  return `server:
    rundir: "${o.dir}"
    listen: 127.0.0.1@${o.listen}
    version: "Knot DNS lab"
log:
  - target: stderr
    any: info
database:
    storage: "${o.dir}"
${keys ? `key:\n${keys}` : ''}remote:
  - id: peer
    address: 127.0.0.1@${o.peer}
acl:
${o.keys.length ? `  - id: update\n    key: [${o.keys.map((k) => k.name).join(', ')}]\n    action: update\n` : ''}  - id: from-peer
    address: 127.0.0.1
    action: [transfer, notify]
template:
  - id: default
    storage: "${o.dir}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    serial-policy: increment
zone:
${o.zones}`
}

async function waitForZone(server: DnsServer, zone: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`knot lab: knotd exited early:\n${log()}`)
    const r = await query(server, zone, 'SOA', {recursion: false, timeoutMs: 300, retries: 0})
    if (r.aa && r.answers.some((a) => a.type === 'SOA')) return
    if (Date.now() > deadline) throw new Error(`knot lab: ${zone} not served on ${server.port} after 15 s:\n${log()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function start(dir: string, name: string): {child: ChildProcess; log: () => string} {
  const child = spawn('knotd', ['-c', join(dir, 'knot.conf')], {stdio: ['ignore', 'pipe', 'pipe']})
  const out: Buffer[] = []
  child.stdout?.on('data', (c: Buffer) => out.push(c))
  child.stderr?.on('data', (c: Buffer) => out.push(c))
  process.on('exit', () => child.kill('SIGKILL'))
  return {child, log: () => `${name}: ${Buffer.concat(out).toString('utf8')}`}
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** A Knot primary (updates allowed with the lab keys, NOTIFY to the secondary) and a Knot secondary. */
export async function startKnot(zones: LabZone[]): Promise<Knot> {
  const root = mkdtempSync(join(tmpdir(), 'mxcut-knot-'))
  const [pPort, sPort] = [await freePort(), await freePort()]
  const tsig = {sha256: newKey('mxcut-knot-sha256', 'hmac-sha256'), sha1: newKey('mxcut-knot-sha1', 'hmac-sha1')}
  const keys = Object.values(tsig)
  const pdir = join(root, 'primary')
  const sdir = join(root, 'secondary')
  mkdirSync(pdir)
  mkdirSync(sdir)
  const apex = (z: LabZone) => z.name.replace(/\.$/, '')
  // In-zone NS names need addresses; the lab's NS lines point at the two Knot servers' shared address.
  for (const z of zones) writeFileSync(join(pdir, `${apex(z)}.zone`), zoneText(z, '127.0.0.1', '127.0.0.1'))
  writeFileSync(join(pdir, 'knot.conf'), conf({dir: pdir, listen: pPort, keys, peer: sPort, zones: zones.map((z) => `  - domain: ${apex(z)}\n    notify: peer\n    acl: [update, from-peer]\n`).join('')}))
  writeFileSync(join(sdir, 'knot.conf'), conf({dir: sdir, listen: sPort, keys: [], peer: pPort, zones: zones.map((z) => `  - domain: ${apex(z)}\n    master: peer\n    acl: [from-peer]\n`).join('')}))
  const primary: DnsServer = {kind: 'dns', address: '127.0.0.1', port: pPort, name: 'knot-primary'}
  const secondary: DnsServer = {kind: 'dns', address: '127.0.0.1', port: sPort, name: 'knot-secondary'}
  const p = start(pdir, 'knot primary')
  const s = start(sdir, 'knot secondary')
  const stop = async () => {
    await Promise.all([stopChild(p.child), stopChild(s.child)])
    rmSync(root, {recursive: true, force: true})
  }
  try {
    for (const z of zones) {
      await waitForZone(primary, apex(z), p.child, p.log)
      await waitForZone(secondary, apex(z), s.child, s.log)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {primary, secondary, tsig, stop}
}
