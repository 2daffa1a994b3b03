/**
 * The lab: real BIND 9 (a primary and a secondary, zone transfer + NOTIFY) and
 * real Unbound resolvers, started per test file on loopback and stopped even
 * when a test fails. Each lab takes its own pair of loopback aliases
 * (127.53.X.Y) so BIND can listen on port 53 there: discovery through a
 * resolver follows NS records, and NS records cannot carry a port.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {randomBytes, randomInt} from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as packet from 'dns-packet'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {dsOfInlineZones, policies, prepareSigning, rootTrustAnchor, rootZone, signingOptions, type LabAlgorithm, type LabSigning} from './dnssec.js'
import type {TsigAlgorithm} from '../../src/dns/tsig.js'

export interface LabZone {
  /** Zone apex, e.g. contoso.test */
  name: string
  /** Zone file body after the SOA/NS/glue the lab adds: lines like "@ 3600 IN MX 10 mail". */
  records: string[]
  serial?: number
  /** SOA MINIMUM (negative caching TTL, RFC 2308). */
  minimum?: number
  /** Default TTL ($TTL) and the SOA record's own TTL. */
  ttl?: number
  /** Leave out the secondary (zone served by the primary only). */
  primaryOnly?: boolean
  /** Allow RFC 2136 updates signed with the lab's TSIG keys. */
  dynamic?: boolean
  /** Override the NS set: defaults to ns1/ns2 in-zone with glue to the lab's servers. */
  nsLines?: string[]
  /** Sign the zone (test/lab/dnssec.ts): the lab's root is then signed and delegates to every zone. */
  dnssec?: LabSigning
  /** Algorithm of a zone BIND signs (default ecdsa256). */
  dnssecAlgorithm?: LabAlgorithm
}

export interface LabResolver extends DnsServer {
  /** cache-min-ttl of this Unbound, if it clamps TTLs. */
  cacheMinTtl?: number
  /** This Unbound validates DNSSEC from the lab root's trust anchor. */
  validate?: boolean
}

export interface LabOptions {
  zones: LabZone[]
  /** Unbound resolvers to start; each may clamp TTLs or validate DNSSEC. Default: none. */
  resolvers?: Array<{cacheMinTtl?: number; validate?: boolean}>
  /** Primary sends NOTIFY to the secondary (default true). Off makes the secondary lag until notifySecondary(). */
  notify?: boolean
}

export interface TsigKey {
  name: string
  algorithm: TsigAlgorithm
  secret: string
}

export interface Lab {
  primary: DnsServer
  secondary: DnsServer
  resolvers: LabResolver[]
  dir: string
  /** With signed zones: the root's KSK as Unbound takes it (". DNSKEY 257 3 13 …"). */
  trustAnchor?: string
  tsig: {sha256: TsigKey; sha512: TsigKey; sha1: TsigKey; sha384: TsigKey}
  /** Rewrites a zone on the primary and reloads it; the secondary follows via NOTIFY (if enabled). */
  writeZone(zone: LabZone): Promise<void>
  /** Puts this text in place of the zone's file on the primary and reloads it (a deploy); waits for the serial. */
  writeZoneText(name: string, text: string, serial: number): Promise<void>
  /** Sends a NOTIFY for the zone to the secondary from the primary's address, as BIND would. */
  notifySecondary(zone: string): Promise<void>
  /** Waits until the server serves the zone with this serial (or any serial when omitted). */
  waitForSerial(server: DnsServer, zone: string, serial?: number, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
const aliases = new Set<string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort when a test run dies without afterAll: never leave daemons or aliases behind.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL')
    for (const a of aliases) {
      try {
        execFileSync('ip', ['addr', 'del', `${a}/32`, 'dev', 'lo'], {stdio: 'ignore'})
      } catch {
        /* already gone */
      }
    }
  })
}

function loAddresses(): string {
  return execFileSync('ip', ['-4', 'addr', 'show', 'dev', 'lo'], {encoding: 'utf8'})
}

function addAlias(address: string): void {
  execFileSync('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo'], {stdio: 'pipe'})
  aliases.add(address)
}

function removeAlias(address: string): void {
  try {
    execFileSync('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo'], {stdio: 'ignore'})
  } catch {
    /* already gone */
  }
  aliases.delete(address)
}

/** Picks a /24-sized block 127.53.X.0 that no other lab holds, and returns its prefix. */
function pickBlock(): string {
  const taken = loAddresses()
  for (let i = 0; i < 200; i++) {
    const prefix = `127.53.${randomInt(0, 256)}`
    if (!taken.includes(`${prefix}.`)) return prefix
  }
  throw new Error('lab: no free 127.53.X.0 block on lo')
}

/** A TCP port free on 127.0.0.1 right now (for servers that take a port, not an alias). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** Unbound answers RFC 6761 names (test., invalid., …) itself unless told not to. */
function servedLocally(zones: Array<{name: string}>): string[] {
  const special = new Set(['test', 'invalid', 'localhost', 'onion', 'example'])
  const local = zones.map((z) => z.name.split('.').pop() ?? '').filter((t) => special.has(t))
  // Reverse zones of the loopback block (PTR records of lab listeners) sit under Unbound's own 127.in-addr.arpa.
  if (zones.some((z) => z.name.endsWith('.127.in-addr.arpa'))) local.push('127.in-addr.arpa')
  return [...new Set(local)]
}

/**
 * An Unbound configuration that resolves only from the given stub servers
 * (ADDR or ADDR@PORT): with "." among the stubs nothing can leave loopback.
 */
export function unboundConf(o: {listen: string; dir: string; stubs: Array<{name: string; addrs: string[]}>; cacheMinTtl?: number; localZones?: string[]; trustAnchor?: string}): string {
  const port = o.listen.split('@')[1] ?? '53'
  return `server:
  interface: ${o.listen}
  port: ${port}
  interface-automatic: no
  do-ip6: no
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "${o.dir}"
  pidfile: "${join(o.dir, 'unbound.pid')}"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  so-reuseport: no
  access-control: 127.0.0.0/8 allow
  module-config: "${o.trustAnchor ? 'validator iterator' : 'iterator'}"
${o.trustAnchor ? `  trust-anchor: "${o.trustAnchor}"\n` : ''}  qname-minimisation: no
  prefetch: no
  serve-expired: no
  harden-referral-path: no
  minimal-responses: no
  neg-cache-size: 1m
${o.cacheMinTtl ? `  cache-min-ttl: ${o.cacheMinTtl}\n` : ''}${(o.localZones ?? []).map((t) => `  local-zone: "${t}." nodefault\n`).join('')}
remote-control:
  control-enable: no

${o.stubs.map((z) => `stub-zone:\n  name: "${z.name}"\n${z.addrs.map((a) => `  stub-addr: ${a}\n`).join('')}`).join('\n')}
`
}

export function zoneText(zone: LabZone, primary: string, secondary: string): string {
  const ttl = zone.ttl ?? 300
  const serial = zone.serial ?? 1
  const minimum = zone.minimum ?? 60
  const apex = zone.name.replace(/\.$/, '') + '.'
  const ns = zone.nsLines ?? [
    `@ IN NS ns1.${apex}`,
    `@ IN NS ns2.${apex}`,
    `ns1.${apex} IN A ${primary}`,
    `ns2.${apex} IN A ${secondary}`,
  ]
  return [
    `$ORIGIN ${apex}`,
    `$TTL ${ttl}`,
    `@ ${ttl} IN SOA ns1.${apex} hostmaster.${apex} ${serial} 3600 600 86400 ${minimum}`,
    ...ns,
    ...zone.records,
    '',
  ].join('\n')
}

function spawnDaemon(cmd: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']})
  const log: Buffer[] = []
  child.stdout?.on('data', (c: Buffer) => log.push(c))
  child.stderr?.on('data', (c: Buffer) => log.push(c))
  child.on('exit', () => {
    running.delete(child)
    try {
      writeFileSync(logFile, Buffer.concat(log)); if (process.env.LABDBG) process.stderr.write(Buffer.concat(log))
    } catch {
      /* dir removed */
    }
  })
  ;(child as ChildProcess & {logText: () => string}).logText = () => Buffer.concat(log).toString('utf8')
  running.add(child)
  return child
}

function logOf(child: ChildProcess): string {
  return (child as ChildProcess & {logText?: () => string}).logText?.() ?? ''
}

async function stopDaemon(child: ChildProcess): Promise<void> {
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

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`lab: ${what}: process exited early:\n${logOf(child)}`)
    }
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`lab: ${what} not ready after ${timeoutMs} ms\n${child ? logOf(child) : ''}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function soaSerial(server: DnsServer, zone: string): Promise<number | null> {
  const r = await query(server, zone, 'SOA', {recursion: false, timeoutMs: 300, retries: 0})
  const soa = r.answers.find((a) => a.type === 'SOA')
  return r.aa && soa ? (soa.data as {serial: number}).serial : null
}

export function newKey(name: string, algorithm: TsigKey['algorithm']): TsigKey {
  return {name, algorithm, secret: randomBytes(algorithm === 'hmac-sha512' || algorithm === 'hmac-sha384' ? 64 : 32).toString('base64')}
}

export async function startLab(options: LabOptions): Promise<Lab> {
  installExitHook()
  const dir = mkdtempSync(join(tmpdir(), 'mxcut-lab-'))
  const block = pickBlock()
  const primaryAddr = `${block}.1`
  const secondaryAddr = `${block}.2`
  addAlias(primaryAddr)
  addAlias(secondaryAddr)
  const notify = options.notify ?? true
  const tsig = {
    sha256: newKey('mxcut-lab-sha256', 'hmac-sha256'),
    sha512: newKey('mxcut-lab-sha512', 'hmac-sha512'),
    sha1: newKey('mxcut-lab-sha1', 'hmac-sha1'),
    sha384: newKey('mxcut-lab-sha384', 'hmac-sha384'),
  }
  const keyBlock = Object.values(tsig)
    .map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`)
    .join('\n')
  const children: ChildProcess[] = []
  const zones = new Map(options.zones.map((z) => [z.name, z]))

  const options_ = (addr: string, sub: string) => `options {
  directory "${join(dir, sub)}";
  pid-file "${join(dir, sub, 'named.pid')}";
  session-keyfile "${join(dir, sub, 'session.key')}";
  managed-keys-directory "${join(dir, sub)}";
  listen-on port 53 { ${addr}; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify-source ${addr};
  transfer-source ${addr};
  notify ${notify ? 'explicit' : 'no'};
  allow-transfer { any; };
  minimal-responses no;
  max-journal-size unlimited;
  notify-delay 0;
  key-directory "${join(dir, sub, 'keys')}";
};
controls { };
${keyBlock}
${signing ? policies() : ''}
`
  mkdirSync(join(dir, 'primary', 'keys'), {recursive: true})
  mkdirSync(join(dir, 'secondary', 'keys'), {recursive: true})
  const signing = options.zones.some((z) => z.dnssec)
  // A root zone on the primary keeps the resolvers from ever asking the real root servers.
  writeFileSync(
    join(dir, 'primary', 'root.db'),
    `$TTL 60\n. IN SOA ns.root-lab. hostmaster.root-lab. 1 3600 600 86400 60\n. IN NS ns.root-lab.\nns.root-lab. IN A ${primaryAddr}\n`,
  )
  for (const z of options.zones) writeFileSync(join(dir, 'primary', `${z.name}.db`), zoneText(z, primaryAddr, secondaryAddr))
  const {files: signedFiles, ds} = signing ? prepareSigning(dir, options.zones, (name) => join(dir, 'primary', `${name}.db`)) : {files: new Map<string, string>(), ds: new Map<string, string>()}
  const primaryZones = options.zones
    .map(
      (z) => `zone "${z.name}" {
  type primary;
  file "${signedFiles.get(z.name) ?? `${z.name}.db`}";
  ${signingOptions(z)}
  ${z.primaryOnly ? '' : `also-notify { ${secondaryAddr}; };`}
  ${z.dynamic ? `allow-update { ${Object.values(tsig).map((k) => `key "${k.name}";`).join(' ')} };` : ''}
};`,
    )
    .join('\n')
  writeFileSync(
    join(dir, 'primary', 'named.conf'),
    options_(primaryAddr, 'primary') + `zone "." { type primary; file "root.db"; ${signing ? 'dnssec-policy "lab-ecdsa256"; inline-signing yes; ' : ''}};\n` + primaryZones,
  )
  const secondaryZones = options.zones
    .filter((z) => !z.primaryOnly)
    .map((z) => `zone "${z.name}" { type secondary; primaries { ${primaryAddr}; }; file "${z.name}.db"; };`)
    .join('\n')
  writeFileSync(join(dir, 'secondary', 'named.conf'), options_(secondaryAddr, 'secondary') + secondaryZones)

  const primaryServer: DnsServer = {kind: 'dns', address: primaryAddr, port: 53, name: 'lab-primary'}
  const secondaryServer: DnsServer = {kind: 'dns', address: secondaryAddr, port: 53, name: 'lab-secondary'}
  const resolvers: LabResolver[] = []
  let trustAnchor: string | undefined

  const stop = async () => {
    await Promise.all(children.map(stopDaemon))
    removeAlias(primaryAddr)
    removeAlias(secondaryAddr)
    rmSync(dir, {recursive: true, force: true})
  }

  try {
    const primary = spawnDaemon('named', ['-g', '-n', '1', '-c', join(dir, 'primary', 'named.conf')], join(dir, 'primary.log'))
    children.push(primary)
    await waitUntil('BIND primary', async () => (await soaSerial(primaryServer, options.zones[0]?.name ?? '.')) !== null, 15000, primary)
    if (signing) {
      // The root delegates to every zone and holds the DS of the signed ones: a chain from its key down.
      for (const [zone, line] of await dsOfInlineZones(primaryServer, join(dir, 'primary', 'keys'), options.zones)) ds.set(zone, line)
      writeFileSync(join(dir, 'primary', 'root.db'), rootZone(2, primaryAddr, secondaryAddr, options.zones, ds))
      primary.kill('SIGHUP')
      trustAnchor = await rootTrustAnchor(primaryServer, ds)
    }
    const secondary = spawnDaemon('named', ['-g', '-n', '1', '-c', join(dir, 'secondary', 'named.conf')], join(dir, 'secondary.log'))
    children.push(secondary)
    for (const z of options.zones.filter((x) => !x.primaryOnly)) {
      await waitUntil(`BIND secondary (${z.name})`, async () => (await soaSerial(secondaryServer, z.name)) !== null, 15000, secondary)
    }

    for (const [i, r] of (options.resolvers ?? []).entries()) {
      const addr = `${block}.${10 + i}`
      const rdir = join(dir, `unbound${i}`)
      mkdirSync(rdir)
      const conf = unboundConf({
        listen: `${addr}@53`,
        dir: rdir,
        cacheMinTtl: r.cacheMinTtl,
        ...(r.validate ? {trustAnchor} : {}),
        localZones: servedLocally(options.zones),
        stubs: [
          {name: '.', addrs: [primaryAddr]},
          ...options.zones.map((z) => ({name: z.name, addrs: z.primaryOnly ? [primaryAddr] : [primaryAddr, secondaryAddr]})),
        ],
      })
      writeFileSync(join(rdir, 'unbound.conf'), conf)
      const child = spawnDaemon('unbound', ['-d', '-c', join(rdir, 'unbound.conf')], join(dir, `unbound${i}.log`))
      children.push(child)
      const server: LabResolver = {kind: 'dns', address: addr, port: 53, name: `lab-resolver-${i}`, cacheMinTtl: r.cacheMinTtl, ...(r.validate ? {validate: true} : {})}
      await waitUntil(
        `Unbound ${i}`,
        async () => {
          const res = await query(server, 'root-lab', 'SOA', {timeoutMs: 300, retries: 0})
          return res.status !== 'timeout' && !(res.status === 'error' && /ECONNREFUSED/.test(res.error ?? ''))
        },
        15000,
        child,
      )
      resolvers.push(server)
    }
  } catch (err) {
    await stop()
    throw err
  }

  const lab: Lab = {
    primary: primaryServer,
    secondary: secondaryServer,
    resolvers,
    dir,
    tsig,
    ...(trustAnchor ? {trustAnchor} : {}),
    async writeZone(zone) {
      zones.set(zone.name, zone)
      writeFileSync(join(dir, 'primary', `${zone.name}.db`), zoneText(zone, primaryAddr, secondaryAddr))
      // SIGHUP makes named reload its configuration and changed zone files (no rndc needed).
      children[0].kill('SIGHUP')
      await lab.waitForSerial(primaryServer, zone.name, zone.serial ?? 1)
    },
    async writeZoneText(name, text, serial) {
      writeFileSync(join(dir, 'primary', `${name}.db`), text)
      children[0].kill('SIGHUP')
      await lab.waitForSerial(primaryServer, name, serial)
    },
    async notifySecondary(zone) {
      const socket = dgram.createSocket('udp4')
      await new Promise<void>((resolve, reject) => socket.bind(0, primaryAddr, () => resolve()).once('error', reject))
      const msg = packet.encode({
        type: 'query',
        id: randomInt(0, 65536),
        // dns-packet encodes the opcode only from the flags word: NOTIFY is opcode 4 (RFC 1996).
        flags: (4 << 11) | packet.AUTHORITATIVE_ANSWER,
        questions: [{type: 'SOA', name: zone, class: 'IN'}],
      })
      await new Promise<void>((resolve, reject) => socket.send(msg, 53, secondaryAddr, (err) => (err ? reject(err) : resolve())))
      socket.close()
    },
    async waitForSerial(server, zone, serial, timeoutMs = 15000) {
      await waitUntil(
        `serial ${serial ?? 'any'} of ${zone} on ${server.address}`,
        async () => {
          const s = await soaSerial(server, zone)
          return s !== null && (serial === undefined || s === serial)
        },
        timeoutMs,
      )
    },
    stop,
  }
  return lab
}

