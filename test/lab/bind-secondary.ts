/**
 * A real BIND 9 secondary on 127.0.0.1 (a port of its own) for zones whose
 * primary is another server of the lab (PowerDNS, Knot): it transfers the
 * zones from that primary, and again on each NOTIFY the primary sends.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {freePort} from './lab.js'

export interface BindSecondary {
  server: DnsServer
  stop(): Promise<void>
}

/** `port`: chosen beforehand when the primary must be told where to NOTIFY before this starts. */
export async function startBindSecondary(zones: string[], primary: DnsServer, port?: number): Promise<BindSecondary> {
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-bind2-'))
  port ??= await freePort()
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  session-keyfile "${join(dir, 'session.key')}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-notify { 127.0.0.1; };
  minimal-responses no;
};
controls { };
${zones.map((z) => `zone "${z}" { type secondary; primaries { ${primary.address} port ${primary.port}; }; file "${z}.db"; };`).join('\n')}
`,
  )
  const child: ChildProcess = spawn('named', ['-g', '-n', '1', '-c', join(dir, 'named.conf')], {stdio: ['ignore', 'pipe', 'pipe']})
  const log: Buffer[] = []
  child.stdout?.on('data', (c: Buffer) => log.push(c))
  child.stderr?.on('data', (c: Buffer) => log.push(c))
  process.on('exit', () => child.kill('SIGKILL'))
  const server: DnsServer = {kind: 'dns', address: '127.0.0.1', port, name: 'bind-secondary'}
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
  for (const zone of zones) {
    for (;;) {
      if (child.exitCode !== null) {
        await stop()
        throw new Error(`bind secondary exited early:\n${Buffer.concat(log).toString()}`)
      }
      const r = await query(server, zone, 'SOA', {recursion: false, timeoutMs: 300, retries: 0})
      if (r.aa && r.answers.some((a) => a.type === 'SOA')) break
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`bind secondary: ${zone} not transferred after 15 s:\n${Buffer.concat(log).toString()}`)
      }
      await new Promise((res) => setTimeout(res, 100))
    }
  }
  return {server, stop}
}
