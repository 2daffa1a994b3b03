import {generateKeyPairSync, sign} from 'node:crypto'
import type {Answer} from 'dns-packet'
import {describe, expect, test} from 'vitest'
import type {DnsClient, QueryResult} from '../../src/dns/client.js'
import {keyTag, signedData, type DnskeyData, type RrsigData} from '../../src/dns/dnssec.js'
import type {DnsHost} from '../../src/hosts/types.js'
import {performChange} from '../../src/run/change.js'
import {memoryJournal} from '../../src/run/journal.js'
import type {Clock, RunnerDeps} from '../../src/run/types.js'
import type {RRsetChange} from '../../src/state/schema.js'
import type {AuthServer} from '../../src/zone/discover.js'

/**
 * On a signed zone a DNS change counts as done only when every authoritative
 * server serves it signed. Two fake servers of one signed zone (Ed25519 keys
 * made here, RRSIGs over the canonical form); one of them serves the new MX
 * without a valid signature, as a secondary of an unsigned copy, or a
 * provider that does not sign, would. (Signatures BIND makes are checked in
 * test/lab/dnssec.test.ts.)
 */
const ZONE = 'contoso.test'
const {publicKey, privateKey} = generateKeyPairSync('ed25519')
const KEY: DnskeyData = {flags: 257, algorithm: 15, key: Buffer.from(publicKey.export({format: 'jwk'}).x ?? '', 'base64url')}
const NOW = Date.parse('2026-03-01T00:00:00Z')

function rrsig(name: string, type: string, records: unknown[], ttl: number): RrsigData {
  const sig: RrsigData = {typeCovered: type, algorithm: 15, labels: name.split('.').length, originalTTL: ttl, expiration: NOW / 1000 + 86400 * 10, inception: NOW / 1000 - 3600, keyTag: keyTag(KEY), signersName: ZONE, signature: Buffer.alloc(0)}
  return {...sig, signature: sign(null, signedData(name, type, records, sig), privateKey)}
}

interface Served {
  serial: number
  mx: Array<{preference: number; exchange: string}>
  /** False: this server serves the MX without an RRSIG; 'stale': with the RRSIG of the old data. */
  signMx: boolean | 'stale'
}

function world(): {servers: Map<string, Served>; deps: RunnerDeps; journal: ReturnType<typeof memoryJournal>} {
  const old = [{preference: 10, exchange: 'mail.contoso.test'}]
  const servers = new Map<string, Served>([
    ['127.0.0.1', {serial: 1, mx: old, signMx: true}],
    ['127.0.0.2', {serial: 1, mx: old, signMx: true}],
  ])
  let t = NOW
  const clock: Clock = {now: () => t, sleep: async (ms) => void (t += ms)}
  const answer = (name: string, type: string, ttl: number, data: unknown): Answer => ({name, type, ttl, class: 'IN', data}) as Answer
  const client: DnsClient = {
    async query(server, name, type, options): Promise<QueryResult> {
      const s = servers.get(server.kind === 'dns' ? server.address : '') as Served
      const base = {server, name, type, rcode: 'NOERROR', aa: true, ra: false, authorities: [], additionals: [], transport: 'udp' as const, rttMs: 1}
      let raw: Answer[] = []
      if (type === 'SOA') {
        const soa = {mname: 'ns1.contoso.test', rname: 'h.contoso.test', serial: s.serial, refresh: 1, retry: 1, expire: 1, minimum: 1}
        raw = [answer(ZONE, 'SOA', 60, soa), answer(ZONE, 'RRSIG', 60, rrsig(ZONE, 'SOA', [soa], 60))]
      } else if (type === 'DNSKEY') {
        raw = [answer(ZONE, 'DNSKEY', 60, KEY), answer(ZONE, 'RRSIG', 60, rrsig(ZONE, 'DNSKEY', [KEY], 60))]
      } else if (type === 'MX') {
        raw = s.mx.map((m) => answer(ZONE, 'MX', 2, m))
        if (s.signMx === true) raw.push(answer(ZONE, 'RRSIG', 2, rrsig(ZONE, 'MX', s.mx, 2)))
        if (s.signMx === 'stale') raw.push(answer(ZONE, 'RRSIG', 2, rrsig(ZONE, 'MX', old, 2)))
      }
      const answers = raw.filter((a) => a.type !== 'RRSIG').map((a) => (a.type === 'MX' ? {name, type: 'MX', ttl: 2, data: {priority: (a.data as {preference: number}).preference, exchange: (a.data as {exchange: string}).exchange}} : {name: a.name, type: a.type, ttl: 60, data: a.type === 'SOA' ? a.data : null})) as QueryResult['answers']
      return {...base, status: answers.length ? 'ok' : 'nodata', answers, ...(options?.dnssec ? {raw: {answers: raw, authorities: []}} : {})}
    },
  }
  const host: DnsHost = {
    name: 'fake',
    atomic: true,
    read: async () => null,
    async apply() {
      // Both servers take the new data at once; whether each signs it is the test's business.
      for (const s of servers.values()) {
        s.mx = [{preference: 0, exchange: 'mx.target.test'}]
        s.serial += 1
      }
    },
  }
  const authServers: AuthServer[] = [...servers.keys()].map((address, i) => ({kind: 'dns', address, port: 53, name: `ns${i + 1}`, host: `ns${i + 1}`}))
  const journal = memoryJournal(clock.now)
  const deps = {
    host,
    client,
    authServers,
    clock,
    ui: {step: () => {}, info: () => {}, ok: () => {}, warn: () => {}, countdown: async (_t: string, _d: number, _n: () => number, w: Promise<void>) => w},
    prompter: null,
    verify: async () => ({converged: true, timedOut: false, aborted: false, summary: '', pending: [], evidence: {}}),
    save: async () => {},
    journal,
    timing: {convergeTimeoutMs: 20_000},
  } as RunnerDeps
  return {servers, deps, journal}
}

const CHANGE: RRsetChange = {
  name: ZONE,
  type: 'MX',
  before: {name: ZONE, type: 'MX', ttl: 2, records: [{priority: 10, exchange: 'mail.contoso.test'}]},
  after: {name: ZONE, type: 'MX', ttl: 2, records: [{priority: 0, exchange: 'mx.target.test'}]},
}

describe('a change on a signed zone', () => {
  test('served signed by every server: done, and the evidence says so', async () => {
    const w = world()
    const r = await performChange('swap-mx', [CHANGE], ZONE, w.deps)
    expect(r.kind).toBe('done')
    if (r.kind === 'done') expect(r.evidence.dnssec).toEqual({signed: true, servers: 2, earliestExpiry: new Date(NOW + 864_000_000).toISOString()})
  })

  test("one server serving the new MX unsigned, or with the old data's signature: never done, and the message names it", async () => {
    for (const mode of [false, 'stale'] as const) {
      const w = world()
      const apply = w.deps.host.apply.bind(w.deps.host)
      w.deps.host.apply = async (c) => {
        await apply(c)
        const ns2 = w.servers.get('127.0.0.2')
        if (ns2) ns2.signMx = mode
      }
      const r = await performChange('swap-mx', [CHANGE], ZONE, w.deps)
      expect(r.kind).toBe('timeout')
      if (r.kind === 'timeout') expect(r.message).toMatch(mode === false ? /ns2 \(127\.0\.0\.2\) serves the new contoso\.test MX unsigned/ : /ns2 \(127\.0\.0\.2\) serves the new contoso\.test MX with a bad signature \(no RRSIG of contoso\.test MX .* verifies/)
      expect(w.journal.entries.find((e) => e.event === 'propagating')?.message).toMatch(/127\.0\.0\.2/)
    }
  })
})
