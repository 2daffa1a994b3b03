import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {freePort, unboundConf} from '../lab/lab.js'

export interface StubResolver {
  server: DnsServer
  stop(): Promise<void>
}

/**
 * An Unbound on 127.0.0.1:PORT that resolves `zone` from one authoritative
 * server (which may listen on any port, unlike the NS records the BIND lab
 * needs) and knows nothing else: the root is stubbed to the same server, so
 * nothing leaves loopback. Stands in for a public resolver in front of a
 * PowerDNS server started by the tests.
 */
export async function startStubResolver(zone: string, auth: DnsServer): Promise<StubResolver> {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-unbound-'))
  const port = await freePort()
  const at = `${auth.address}@${auth.port}`
  writeFileSync(join(dir, 'unbound.conf'), unboundConf({listen: `127.0.0.1@${port}`, dir, localZones: [zone.split('.').pop() ?? ''], stubs: [{name: '.', addrs: [at]}, {name: zone, addrs: [at]}]}))
  const child: ChildProcess = spawn('unbound', ['-d', '-c', join(dir, 'unbound.conf')], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.on('exit', () => child.kill('SIGKILL'))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, {recursive: true, force: true})
  }
  const server: DnsServer = {kind: 'dns', address: '127.0.0.1', port, name: 'stub-resolver'}
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`unbound exited early: ${log}`)
    }
    const r = await query(server, zone, 'SOA', {timeoutMs: 300, retries: 0})
    if (r.status === 'ok') break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`unbound not answering for ${zone} after 15 s (${r.status}): ${log}`)
    }
    await new Promise((res) => setTimeout(res, 100))
  }
  return {server, stop}
}
