import dgram from 'node:dgram'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {serverLabel, type DnsServer, type ServerSpec} from '../../src/dns/server.js'
import type {PlanState} from '../../src/state/schema.js'
import {verifyPropagation, type VerifyReport} from '../../src/verify/verify.js'
import {watchPropagation} from '../../src/verify/watch.js'
import type {VerifyJson} from '../../src/verify/command.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {createTestCa} from '../helpers/tls.js'
import {recordedConfig} from '../helpers/recorded-config.js'
import {startLab, type Lab, type LabZone} from './lab.js'

/**
 * The propagation verifier against real BIND (primary + secondary by NOTIFY)
 * and four real Unbound caches, the last one clamping TTLs with
 * cache-min-ttl. TTLs are seconds so every cache expires within the test.
 */
const PUBLISHED = 5
const CLAMP = 12
const domain = 'contoso.test'
const OLD = ['@ 5 IN MX 10 mail', '@ 5 IN MX 20 backup']
const NEW = ['@ 5 IN MX 0 contoso-test.mail.protection.target.test.']
const newMx = [{priority: 0, exchange: 'contoso-test.mail.protection.target.test'}]
const oldMx = [
  {priority: 10, exchange: 'mail.contoso.test'},
  {priority: 20, exchange: 'backup.contoso.test'},
]
const base: LabZone = {name: domain, serial: 1, ttl: 60, records: [...OLD, 'mail IN A 127.0.0.25', 'backup IN A 127.0.0.26']}

// The DoH test has a zone of its own, so no earlier test has filled the caches it reads.
const dohZone: LabZone = {name: 'doh.test', serial: 1, ttl: 60, records: ['@ 5 IN MX 10 mail', 'mail IN A 127.0.0.25']}

let lab: Lab
let serial = 1
const client = createDnsClient({timeoutMs: 1000, retries: 1})
let silent: dgram.Socket
let silentServer: DnsServer

beforeAll(async () => {
  lab = await startLab({zones: [base, dohZone], resolvers: [{}, {}, {}, {cacheMinTtl: CLAMP}]})
  // A resolver that receives queries and never answers: the worst case for a check's duration.
  silent = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()))
  silentServer = {kind: 'dns', address: '127.0.0.1', port: (silent.address() as AddressInfo).port, name: 'silent'}
})
afterAll(async () => {
  silent?.close()
  await lab?.stop()
})

const auth = () => [lab.primary, lab.secondary]

/** Warms every resolver's cache with the current MX, then publishes `records` with a new serial and waits for the secondary. */
async function changeBehindWarmCaches(records: string[]): Promise<number> {
  for (const r of lab.resolvers) {
    const res = await client.query(r, domain, 'MX')
    expect(res.status, `warming ${r.name}`).toBe('ok')
  }
  serial += 1
  await lab.writeZone({...base, serial, records: [...records, 'mail IN A 127.0.0.25', 'backup IN A 127.0.0.26']})
  await lab.waitForSerial(lab.secondary, domain, serial)
  return Date.now()
}

function byName(report: VerifyReport, name: string) {
  const r = report.resolvers.find((x) => x.name === name)
  if (!r) throw new Error(`no ${name} in report`)
  return r
}

describe('verify against BIND + Unbound', () => {
  test('stale caches count down, the clamping resolver is flagged, watch converges after the last expiry', async () => {
    await changeBehindWarmCaches(NEW)
    const unreachable: ServerSpec = {kind: 'dns', address: '127.0.0.1', port: 9, name: 'nothing-listens'}
    const first = await verifyPropagation({
      client,
      domain,
      expected: newMx,
      authoritative: auth(),
      resolvers: [...lab.resolvers, unreachable],
      publishedTtl: PUBLISHED,
      timeoutMs: 500,
    })
    expect(first.authoritative.map((a) => [a.status, a.serial])).toEqual([
      ['updated', serial],
      ['updated', serial],
    ])
    expect(first.authoritativeUpdated).toBe(true)
    expect(first.converged).toBe(false)
    for (const r of lab.resolvers.slice(0, 3)) {
      const rep = byName(first, r.name)
      expect(rep.status, r.name).toBe('stale')
      expect(rep.ttlRemaining).toBeLessThanOrEqual(PUBLISHED)
      expect(rep.answers[0]).toMatchObject({expected: false, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.contoso.test'}]})
      expect(rep.clamping).toBeUndefined()
    }
    const clamping = byName(first, lab.resolvers[3].name)
    expect(clamping.status).toBe('stale')
    expect(clamping.ttlRemaining).toBeGreaterThan(PUBLISHED)
    expect(clamping.clamping).toMatchObject({rrset: 'old', publishedTtl: PUBLISHED, observedTtl: clamping.ttlRemaining})
    expect(clamping.clamping?.message).toMatch(/may serve the old MX for up to \d+ s more/)
    expect(byName(first, 'nothing-listens')).toMatchObject({status: 'unreachable', answers: []})
    expect(first.eta).not.toBeNull()
    // The ETA is the clamping cache's expiry: it holds the old set longest.
    expect(first.eta).toBe(clamping.expiresAt)

    await new Promise((r) => setTimeout(r, 2100))
    const second = await verifyPropagation({client, domain, expected: newMx, authoritative: auth(), resolvers: lab.resolvers, publishedTtl: PUBLISHED})
    const clampingLater = byName(second, lab.resolvers[3].name)
    expect(clampingLater.status).toBe('stale')
    // Counting down: two seconds later, at least one second less (whole-second resolution).
    expect(clampingLater.ttlRemaining).toBeLessThanOrEqual((clamping.ttlRemaining ?? 0) - 1)

    const seen: VerifyReport[] = []
    const result = await watchPropagation({
      client,
      domain,
      expected: newMx,
      authoritative: auth(),
      resolvers: lab.resolvers,
      publishedTtl: PUBLISHED,
      deadline: Date.now() + 40_000,
      onUpdate: (r) => seen.push(r),
    })
    expect(result.converged).toBe(true)
    expect(result.report.resolvers.every((r) => r.status === 'updated')).toBe(true)
    // Once updated, the clamping resolver holds the new set beyond its TTL too: still flagged (a rollback would take as long).
    expect(byName(result.report, lab.resolvers[3].name).clamping).toMatchObject({rrset: 'new', publishedTtl: PUBLISHED})
    // Never converged while a cache still answered the old set.
    expect(seen.slice(0, -1).every((r) => !r.converged)).toBe(true)
    expect(seen.filter((r) => byName(r, lab.resolvers[3].name).status === 'stale').length).toBeGreaterThan(0)

    // Detection latency: from the last cache's expiry to the check that saw convergence.
    const lastStale = [...seen].reverse().find((r) => !r.converged && r.eta !== null)
    const conservativeEta = Date.parse(lastStale?.eta ?? result.lastEta ?? '')
    const nominalExpiry = conservativeEta - 1000 // the ETA adds a second for caches reporting whole seconds rounded down
    const convergedAt = Date.parse(result.convergedAt ?? '')
    const lastStaleAt = lastStale ? Date.parse(lastStale.checkedAt) : NaN
    console.log(
      `[measure] detection latency: the last cache expired between the last stale check and the converging check, ${convergedAt - lastStaleAt} ms apart, ` +
        `so convergence was seen at most ${convergedAt - lastStaleAt} ms after the expiry; from the nominal expiry (sample time + remaining TTL) ${convergedAt - nominalExpiry} ms, ` +
        `${convergedAt - conservativeEta} ms relative to the conservative ETA (+1 s); ${result.rounds} checks`,
    )
  })

  test('unreachable resolvers are unreachable, never updated, and keep the verdict unconverged', async () => {
    const report = await verifyPropagation({
      client,
      domain,
      expected: newMx,
      authoritative: auth(),
      resolvers: [lab.resolvers[0], {kind: 'dns', address: '127.0.0.1', port: 9, name: 'refused'}, silentServer],
      timeoutMs: 300,
    })
    expect(byName(report, lab.resolvers[0].name).status).toBe('updated')
    expect(byName(report, 'refused').status).toBe('unreachable')
    expect(byName(report, 'silent').status).toBe('unreachable')
    expect(byName(report, 'silent').error).toMatch(/no answer within 300 ms/)
    expect(report.converged).toBe(false)
    expect(report.eta).toBeNull()
    expect(report.summary).toMatchObject({updated: 1, unreachable: 2})
  })

  test('an authoritative server that lags keeps resolvers from converging and the ETA unknown', async () => {
    // The wrong expectation: the servers serve the new set, we expect the old one.
    const report = await verifyPropagation({client, domain, expected: oldMx, authoritative: auth(), resolvers: [lab.resolvers[0]]})
    expect(report.authoritative.map((a) => a.status)).toEqual(['stale', 'stale'])
    expect(report.authoritative[0].answers[0]).toMatchObject({ttl: PUBLISHED, expected: false})
    expect(report.eta).toBeNull()
    expect(report.pending[0]).toMatch(/2 of 2 authoritative servers do not serve the expected MX/)
  })

  test('CLI: one-shot exit codes, --watch with plain lines, plan files, bad input', async () => {
    const common = ['--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), ...lab.resolvers.flatMap((r) => ['--resolver', serverLabel(r)])]
    const ok = await runCli(['verify', domain, '--expect-mx', '0 contoso-test.mail.protection.target.test', ...common, '--json'])
    expect(ok.code, ok.stderr).toBe(0)
    const okJson = parseJson<VerifyJson>(ok)
    expect(okJson.converged).toBe(true)
    expect(okJson.expected).toEqual([{priority: 0, exchange: 'contoso-test.mail.protection.target.test'}])
    expect(okJson.resolvers).toHaveLength(4)

    const wrong = await runCli(['verify', domain, '--expect-mx', '10 mail.contoso.test', ...common])
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toMatch(/Not converged/)
    expect(wrong.stdout).toMatch(/AUTHORITATIVE/)

    // Back to the old MX behind warm caches, watched through the CLI without a TTY.
    await changeBehindWarmCaches(OLD)
    const watched = await runCli(['verify', domain, '--expect-mx', '10 mail.contoso.test', '--expect-mx', '20 backup.contoso.test', ...common, '--watch', '--published-ttl', String(PUBLISHED), '--watch-timeout', '40'])
    expect(watched.code, watched.stderr + watched.stdout).toBe(0)
    const lines = watched.stdout.split('\n')
    expect(lines.some((l) => /resolvers \d\/4 updated, \d stale/.test(l))).toBe(true)
    expect(lines.some((l) => /clamps TTLs/.test(l) || /clamping TTLs/.test(l))).toBe(true)
    expect(watched.stdout).toMatch(/Converged after/)
    // Plain output: no ANSI escapes, no listr2 cursor movement.
    expect(watched.stdout).not.toMatch(/\u001B\[/)

    const dir = mkdtempSync(join(tmpdir(), 'mxcut-verify-'))
    const plan = planFile(serial)
    const planPath = join(dir, 'contoso.test.plan.json')
    writeFileSync(planPath, JSON.stringify(plan))
    const fromPlan = await runCli(['verify', planPath, ...common, '--json'])
    expect(fromPlan.code, fromPlan.stderr).toBe(0)
    const planJson = parseJson<VerifyJson>(fromPlan)
    expect(planJson.expected).toEqual([{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.contoso.test'}])
    expect(planJson.publishedTtl).toBe(PUBLISHED)
    expect(planJson.source).toMatch(/after step 'rollback-mx'/)

    const bad = join(dir, 'broken.plan.json')
    writeFileSync(bad, '{"version": 1,')
    const cases: string[][] = [
      ['verify', bad],
      ['verify', join(dir, 'missing.plan.json')],
      ['verify', domain],
      ['verify', domain, '--expect-mx', 'mail.contoso.test'],
      ['verify', domain, '--expect-mx', '10 mail'],
      ['verify', domain, '--expect-mx', '10 mail.contoso.test', '--watch-timeout', 'soon'],
      ['verify', planPath, '--expect-mx', '10 mail.contoso.test'],
    ]
    writeFileSync(join(dir, 'wrong-shape.plan.json'), JSON.stringify({...plan, steps: []}))
    cases.push(['verify', join(dir, 'wrong-shape.plan.json')])
    for (const args of cases) {
      const r = await runCli([...args, ...common])
      expect(r.code, args.join(' ') + r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/^mxcut: /)
    }
  })

  test('DoH: a local RFC 8484 endpoint in front of a lab resolver gives the same verdict as UDP', async () => {
    const ca = createTestCa()
    const {key, cert} = ca.issue(['127.0.0.1', 'localhost'])
    // The clamping resolver: its old entry outlives the CLI's start-up by several seconds.
    const target = lab.resolvers[3]
    const server = https.createServer({key, cert}, (req, res) => {
      if (req.method !== 'POST' || req.url !== '/dns-query' || req.headers['content-type'] !== 'application/dns-message') {
        res.writeHead(415).end()
        return
      }
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        // Forward the wire-format message to the Unbound over UDP, as a DoH front end does.
        const sock = dgram.createSocket('udp4')
        sock.once('message', (msg) => {
          sock.close()
          res.writeHead(200, {'content-type': 'application/dns-message', 'content-length': msg.length}).end(msg)
        })
        sock.send(Buffer.concat(chunks), target.port, target.address)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`
    try {
      // Fill the clamping cache with the old MX, then change it: the cache holds the old set for CLAMP s.
      expect((await client.query(target, dohZone.name, 'MX')).status).toBe('ok')
      await lab.writeZone({...dohZone, serial: 2, records: [...NEW, 'mail IN A 127.0.0.25']})
      await lab.waitForSerial(lab.secondary, dohZone.name, 2)
      const args = ['verify', dohZone.name, '--expect-mx', '0 contoso-test.mail.protection.target.test', '--nameserver', serverLabel(lab.primary), '--resolver', url, '--resolver', serverLabel(target), '--published-ttl', String(PUBLISHED), '--json']
      const env = {NODE_EXTRA_CA_CERTS: ca.caFile}
      const during = parseJson<VerifyJson>(await runCli(args, {env}))
      const [doh, udp] = during.resolvers
      expect(doh.transport).toBe('doh')
      expect(udp.transport).toBe('udp')
      expect(doh.status).toBe('stale')
      expect(doh.status).toBe(udp.status)
      expect(doh.clamping?.rrset).toBe('old')
      expect(udp.clamping?.rrset).toBe('old')
      expect(doh.answers.map((a) => a.records)).toEqual(udp.answers.map((a) => a.records))
      expect(Math.abs((doh.ttlRemaining ?? 0) - (udp.ttlRemaining ?? 0))).toBeLessThanOrEqual(1)

      const watched = await runCli([...args, '--watch', '--watch-timeout', '30'], {env})
      expect(watched.code, watched.stderr).toBe(0)
      const after = parseJson<VerifyJson>(watched)
      expect(after.resolvers.map((r) => r.status)).toEqual(['updated', 'updated'])

      // Without trusting the test CA, the DoH endpoint is an error, never updated.
      const untrusted = parseJson<VerifyJson>(await runCli(args))
      expect(untrusted.resolvers[0].status).toBe('error')
      expect(untrusted.converged).toBe(false)
    } finally {
      server.close()
    }
  })
})

function planFile(currentSerial: number): PlanState {
  const rr = (records: typeof oldMx) => ({name: domain, type: 'MX', ttl: PUBLISHED, records})
  return {
    version: 1,
    id: 'test-plan',
    domain,
    zone: domain,
    createdAt: new Date().toISOString(),
    strategy: 'replace',
    observed: {mx: {ttl: 3600, records: oldMx}, soa: null, nameservers: [], rrsets: [], at: new Date().toISOString()},
    config: recordedConfig({resolvers: lab.resolvers.map((r) => serverLabel(r))}),
    findings: [],
    // Shaped as the planner writes plans (pre-flight first, the swap after its wait and checkpoint): anything else is refused at load.
    steps: [
      {id: 'preflight', kind: 'audit', title: 'Pre-flight audit', status: 'done'},
      {id: 'lower-ttl', kind: 'dns-change', title: 'Lower the MX TTL', status: 'done', changes: [{name: domain, type: 'MX', before: {...rr(oldMx), ttl: 3600}, after: rr(oldMx)}]},
      {id: 'wait-old-ttl', kind: 'wait', title: 'Wait out the old TTL', status: 'done', waitFor: [{after: 'lower-ttl', seconds: 3600, reason: 'old TTL'}]},
      {id: 'confirm-swap', kind: 'checkpoint', title: 'Confirm the swap', status: 'done'},
      {id: 'swap-mx', kind: 'dns-change', title: 'Swap MX', status: 'done', changes: [{name: domain, type: 'MX', before: rr(oldMx), after: rr(newMx)}]},
      {id: 'rollback-mx', kind: 'dns-change', title: `Restore the original MX (serial ${currentSerial})`, status: 'done', changes: [{name: domain, type: 'MX', before: rr(newMx), after: rr(oldMx)}]},
      {id: 'restore-ttl', kind: 'dns-change', title: 'Restore the TTL', status: 'pending', changes: [{name: domain, type: 'MX', before: rr(oldMx), after: {...rr(oldMx), ttl: 3600}}]},
    ],
  }
}
