/**
 * A real PowerDNS Authoritative server (pdns_server, gsqlite3 backend) started
 * by the tests on 127.0.0.1 with its HTTP API on another loopback port and a
 * per-run API key. Needs the Debian packages pdns-server, pdns-backend-sqlite3
 * and sqlite3 (test/lab/install-servers.sh installs them).
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {freePort} from './lab.js'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'

export interface PdnsRRset {
  name: string
  type: string
  ttl: number
  contents: string[]
}

export interface Pdns {
  dns: DnsServer
  /** Base URL of the webserver, e.g. http://127.0.0.1:38081 */
  apiUrl: string
  apiKey: string
  /** Creates a Native zone through the API (ns1 + SOA generated, serial bumped by the API on every change). */
  createZone(name: string, rrsets: PdnsRRset[]): Promise<void>
  /** Adds a TSIG key (POST /tsigkeys) and lets it sign DNS UPDATEs to the zone (TSIG-ALLOW-DNSUPDATE), serial increased on each update. */
  allowUpdates(zone: string, key: {name: string; algorithm: string; secret: string}): Promise<void>
  /** Raw API call, for tests that play "someone else". */
  api(method: string, path: string, body?: unknown): Promise<Response>
  stop(): Promise<void>
}

const SCHEMA_PATHS = ['/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql', '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql']

export function pdnsAvailable(): boolean {
  try {
    execFileSync('pdns_server', ['--version'], {stdio: 'ignore'})
  } catch (err) {
    // pdns_server --version exits 99 after printing; only a missing binary matters here.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
  }
  return SCHEMA_PATHS.some((p) => existsSync(p))
}

export interface PdnsOptions {
  /** Accept RFC 2136 updates (dnsupdate=yes, from 127.0.0.0/8, TSIG per zone with allowUpdates). */
  dnsupdate?: boolean
  /** Act as a primary: send NOTIFY to these servers (also-notify, ADDR:PORT) at each xfr-cycle-interval check. */
  alsoNotify?: string[]
  /** Seconds between checks for changed zones to NOTIFY (PowerDNS default 60). */
  xfrCycleInterval?: number
  /** Zones created are of kind Master (needed to NOTIFY); default Native. */
  kind?: 'Native' | 'Master'
}

export async function startPdns(options: PdnsOptions = {}): Promise<Pdns> {
  const schema = SCHEMA_PATHS.find((p) => existsSync(p))
  if (!schema) throw new Error('pdns lab: no sqlite3 schema found; run test/lab/install-servers.sh')
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-pdns-'))
  const db = join(dir, 'pdns.sqlite3')
  execFileSync('sh', ['-c', `sqlite3 "${db}" < "${schema}"`])
  const dnsPort = await freePort()
  const webPort = await freePort()
  const apiKey = randomBytes(18).toString('base64url')
  const apiUrl = `http://127.0.0.1:${webPort}`
  const child: ChildProcess = spawn(
    'pdns_server',
    [
      '--no-config',
      '--daemon=no',
      '--guardian=no',
      '--disable-syslog',
      '--write-pid=no',
      `--socket-dir=${dir}`,
      '--launch=gsqlite3',
      `--gsqlite3-database=${db}`,
      `--local-address=127.0.0.1:${dnsPort}`,
      '--webserver=yes',
      '--webserver-address=127.0.0.1',
      `--webserver-port=${webPort}`,
      '--webserver-allow-from=127.0.0.0/8',
      '--api=yes',
      `--api-key=${apiKey}`,
      // Tests read right after writing: no caches between the API and DNS answers.
      '--cache-ttl=0',
      '--query-cache-ttl=0',
      '--negquery-cache-ttl=0',
      '--zone-cache-refresh-interval=0',
      '--loglevel=4',
      ...(options.dnsupdate ? ['--dnsupdate=yes', '--allow-dnsupdate-from=127.0.0.0/8'] : []),
      ...(options.alsoNotify ? ['--primary=yes', `--also-notify=${options.alsoNotify.join(',')}`, '--allow-axfr-ips=127.0.0.0/8'] : []),
      ...(options.xfrCycleInterval ? [`--xfr-cycle-interval=${options.xfrCycleInterval}`] : []),
    ],
    {stdio: ['ignore', 'pipe', 'pipe']},
  )
  const log: Buffer[] = []
  child.stdout?.on('data', (c: Buffer) => log.push(c))
  child.stderr?.on('data', (c: Buffer) => log.push(c))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.on('exit', () => child.kill('SIGKILL'))

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      child.kill('SIGTERM')
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, {recursive: true, force: true})
  }

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${apiUrl}/api/v1/servers/localhost${path}`, {
      method,
      headers: {'X-API-Key': apiKey, 'Content-Type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })

  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`pdns lab: pdns_server exited early:\n${Buffer.concat(log).toString()}`)
    }
    const ok = await api('GET', '').then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`pdns lab: API not ready after 15 s:\n${Buffer.concat(log).toString()}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }

  const dns: DnsServer = {kind: 'dns', address: '127.0.0.1', port: dnsPort, name: 'lab-pdns'}
  return {
    dns,
    apiUrl,
    apiKey,
    api,
    async createZone(name, rrsets) {
      const apex = name.replace(/\.$/, '') + '.'
      const res = await api('POST', '/zones', {
        name: apex,
        kind: options.kind ?? (options.alsoNotify ? 'Master' : 'Native'),
        nameservers: [`ns1.${apex}`],
        rrsets: [
          {name: `ns1.${apex}`, type: 'A', ttl: 300, records: [{content: '127.0.0.1', disabled: false}]},
          ...rrsets.map((r) => ({name: r.name.replace(/\.$/, '') + '.', type: r.type, ttl: r.ttl, records: r.contents.map((content) => ({content, disabled: false}))})),
        ],
      })
      if (res.status !== 201) throw new Error(`pdns lab: creating ${apex} failed: HTTP ${res.status} ${await res.text()}`)
      // Served at once by the DNS listener?
      const r = await query(dns, apex, 'SOA', {recursion: false, timeoutMs: 1000})
      if (!r.aa) throw new Error(`pdns lab: ${apex} not served after creation (${r.status})`)
    },
    async allowUpdates(zone, key) {
      const apex = zone.replace(/\.$/, '') + '.'
      const created = await api('POST', '/tsigkeys', {name: key.name, algorithm: key.algorithm, key: key.secret})
      if (created.status !== 201 && created.status !== 409) throw new Error(`pdns lab: adding TSIG key ${key.name} failed: HTTP ${created.status} ${await created.text()}`)
      for (const [kind, metadata] of [
        ['TSIG-ALLOW-DNSUPDATE', [key.name]],
        ['SOA-EDIT-DNSUPDATE', ['INCREASE']],
      ] as const) {
        const res = await api('PUT', `/zones/${apex}/metadata/${kind}`, {kind, metadata})
        if (!res.ok) throw new Error(`pdns lab: metadata ${kind} on ${apex} failed: HTTP ${res.status} ${await res.text()}`)
      }
    },
    stop,
  }
}
