/**
 * A real NSD on 127.0.0.1 (a port of its own) serving zone files: NSD answers
 * queries and transfers but implements no DNS UPDATE, like the secondaries
 * an update is sometimes sent to by mistake. Needs the Debian package nsd.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {freePort, zoneText, type LabZone} from './lab.js'

export interface Nsd {
  server: DnsServer
  stop(): Promise<void>
}

export function nsdAvailable(): boolean {
  try {
    execFileSync('nsd', ['-v'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

export async function startNsd(zones: LabZone[]): Promise<Nsd> {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-nsd-'))
  const port = await freePort()
  for (const z of zones) writeFileSync(join(dir, `${z.name}.zone`), zoneText(z, '127.0.0.1', '127.0.0.1'))
  writeFileSync(
    join(dir, 'nsd.conf'),
    `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  pidfile: "${join(dir, 'nsd.pid')}"
  database: ""
  xfrdfile: "${join(dir, 'xfrd.state')}"
  zonelistfile: "${join(dir, 'zone.list')}"
  xfrdir: "${dir}"
  verbosity: 1
remote-control:
  control-enable: no
${zones.map((z) => `zone:\n  name: ${z.name}\n  zonefile: ${z.name}.zone\n`).join('')}`,
  )
  const child: ChildProcess = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], {stdio: ['ignore', 'pipe', 'pipe']})
  const log: Buffer[] = []
  child.stdout?.on('data', (c: Buffer) => log.push(c))
  child.stderr?.on('data', (c: Buffer) => log.push(c))
  process.on('exit', () => child.kill('SIGKILL'))
  const server: DnsServer = {kind: 'dns', address: '127.0.0.1', port, name: 'nsd'}
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        child.kill('SIGTERM')
      })
    }
    rmSync(dir, {recursive: true, force: true})
  }
  const deadline = Date.now() + 15_000
  for (const z of zones) {
    for (;;) {
      if (child.exitCode !== null) {
        await stop()
        throw new Error(`nsd exited early:\n${Buffer.concat(log).toString()}`)
      }
      const r = await query(server, z.name, 'SOA', {recursion: false, timeoutMs: 300, retries: 0})
      if (r.aa && r.answers.some((a) => a.type === 'SOA')) break
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`nsd: ${z.name} not served after 15 s:\n${Buffer.concat(log).toString()}`)
      }
      await new Promise((res) => setTimeout(res, 100))
    }
  }
  return {server, stop}
}
