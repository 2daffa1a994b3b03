import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {keyTag, rrsetWithSignatures, verifyRrsig, type DnskeyData} from '../../src/dns/dnssec.js'
import type {DnsServer} from '../../src/dns/server.js'
import {serverLabel} from '../../src/dns/server.js'
import type {PlanState} from '../../src/state/schema.js'
import type {InspectReport} from '../../src/zone/inspect.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {journalEvents, labEnv, mxOn, readJournalLines, readPlan, rfc2136Lines, TARGET_MX, writeConfig} from '../run/lab-plan.js'
import {startLab, type Lab, type LabZone} from './lab.js'

/**
 * DNSSEC against real servers: BIND signs zones itself (dnssec-policy, inline
 * signing) under a signed lab root, one zone's signatures expired long ago
 * (dnssec-signzone), another's DS at the root matches none of its keys; one
 * Unbound validates from the root's trust anchor, another does not.
 */
let lab: Lab
let dir: string
const mail = ['mail 60 IN A 127.0.0.25', '@ 60 IN TXT "v=spf1 mx -all"']
const zones: LabZone[] = [
  {name: 'signed.test', dnssec: 'inline', dynamic: true, ttl: 60, minimum: 2, serial: 100, records: ['@ 4 IN MX 10 mail', ...mail]},
  {name: 'rsa.test', dnssec: 'inline', dnssecAlgorithm: 'rsasha256', records: ['@ 300 IN MX 10 mail', ...mail]},
  {name: 'ed.test', dnssec: 'inline', dnssecAlgorithm: 'ed25519', records: ['@ 300 IN MX 10 mail', ...mail]},
  {name: 'expired.test', dnssec: 'expired', records: ['@ 300 IN MX 10 mail', ...mail]},
  {name: 'dsbad.test', dnssec: 'ds-mismatch', records: ['@ 300 IN MX 10 mail', ...mail]},
  {name: 'plain.test', records: ['@ 300 IN MX 10 mail', ...mail]},
]

beforeAll(async () => {
  lab = await startLab({zones, resolvers: [{validate: true}, {}]})
  dir = mkdtempSync(join(tmpdir(), 'mxcut-dnssec-'))
})
afterAll(async () => lab?.stop())

const validating = () => ['--resolver', serverLabel(lab.resolvers[0])]
const ns = () => ['--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary)]

async function keysOf(server: DnsServer, zone: string): Promise<DnskeyData[]> {
  const r = await query(server, zone, 'DNSKEY', {recursion: false, dnssec: true})
  return rrsetWithSignatures(r.raw?.answers ?? [], zone, 'DNSKEY').records as DnskeyData[]
}

describe('RRSIG verification against what BIND signs', () => {
  test('ECDSA P-256, RSA/SHA-256 and Ed25519: every signature of both servers verifies; a changed byte does not', async () => {
    for (const zone of ['signed.test', 'rsa.test', 'ed.test']) {
      for (const server of [lab.primary, lab.secondary]) {
        const keys = await keysOf(server, zone)
        expect(keys.length, zone).toBeGreaterThan(0)
        for (const type of ['MX', 'TXT', 'SOA', 'DNSKEY'] as const) {
          const r = await query(server, zone, type, {recursion: false, dnssec: true})
          const {records, sigs} = rrsetWithSignatures(r.raw?.answers ?? [], zone, type)
          expect(sigs.length, `${zone} ${type}`).toBeGreaterThan(0)
          const key = keys.find((k) => keyTag(k) === sigs[0].keyTag) as DnskeyData
          expect(verifyRrsig(zone, type, records, sigs[0], key), `${zone} ${type} on ${server.address}`).toBe(true)
          const tampered = {...sigs[0], signature: Buffer.from(sigs[0].signature).fill(7, 10, 11)}
          expect(verifyRrsig(zone, type, records, tampered, key)).toBe(false)
        }
        const mx = await query(server, zone, 'MX', {recursion: false, dnssec: true})
        const {sigs} = rrsetWithSignatures(mx.raw?.answers ?? [], zone, 'MX')
        const key = keys.find((k) => keyTag(k) === sigs[0].keyTag) as DnskeyData
        expect(verifyRrsig(zone, 'MX', [{preference: 20, exchange: 'mail.' + zone}], sigs[0], key)).toBe(false)
      }
    }
  })
})

describe('inspect and audit on signed, unsigned and broken zones', () => {
  test('inspect: the signed zone is signed, its DS matches, the MX is signed on every server, the validating resolver sets AD', async () => {
    const r = await runCli(['inspect', 'signed.test', ...ns(), ...validating(), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<InspectReport>(r)
    expect(report.dnssec).toMatchObject({state: 'secure', signed: true, ds: {status: 'present', records: [expect.objectContaining({matches: true})]}})
    expect(report.dnssec?.validation).toEqual([{resolver: serverLabel(lab.resolvers[0]), status: 'secure', ad: true}])
    for (const s of report.dnssec?.servers ?? []) expect(s.signatures.find((x) => x.type === 'MX')?.state).toBe('signed')
    const text = await runCli(['inspect', 'signed.test', ...ns(), ...validating()])
    expect(text.stdout).toMatch(/DNSSEC +signed \(ECDSAP256SHA256 key \d+ \(KSK\)\); DS at the parent matches; MX signed on every server .*validates \(AD from 1 of 1 resolvers\)/)
    const plain = parseJson<InspectReport>(await runCli(['inspect', 'plain.test', ...ns(), ...validating(), '--json']))
    expect(plain.dnssec).toMatchObject({state: 'unsigned', signed: false, ds: {status: 'absent'}})
  })

  test('audit: the signed zone has no DNSSEC finding; expired signatures are DNSSEC_BOGUS (exit 1); a DS for another key is DNSSEC_DS_MISMATCH', async () => {
    const codes = (r: {stdout: string}) => parseJson<{findings: Array<{code: string; message: string}>}>(r as never).findings.filter((f) => /DNSSEC|DANE_TARGET/.test(f.code))
    const ok = await runCli(['audit', 'signed.test', ...ns(), ...validating(), '--no-smtp', '--json'])
    expect(codes(ok)).toEqual([])

    const expired = await runCli(['audit', 'expired.test', ...ns(), ...validating(), '--no-smtp', '--json'])
    expect(expired.code).toBe(1)
    expect(codes(expired).map((f) => f.code).sort()).toEqual(['DNSSEC_BOGUS', 'DNSSEC_SIGNATURE_EXPIRING', 'DNSSEC_SIGNATURE_EXPIRING'])
    expect(codes(expired).find((f) => f.code === 'DNSSEC_BOGUS')?.message).toMatch(/answer SERVFAIL for expired\.test MX while the same question with checking disabled is answered: .*RRSIG .* expired/)

    const dsbad = await runCli(['audit', 'dsbad.test', ...ns(), ...validating(), '--no-smtp'])
    expect(dsbad.code).toBe(1)
    expect(dsbad.stdout).toMatch(/DNSSEC_DS_MISMATCH/)
    expect(dsbad.stdout).toMatch(/DNSSEC_BOGUS/)
  })
})

describe('a cutover on a signed zone through rfc2136', () => {
  test('every change is served signed by both servers before it counts; verify records AD; the run completes', {timeout: 120_000}, async () => {
    const zone = 'signed.test'
    const config = writeConfig(dir, zone, {lowered: 2, margin: 1, dnsLines: rfc2136Lines({...lab, resolvers: [lab.resolvers[0]]})})
    const planFile = join(dir, `${zone}.plan.json`)
    const made = await runCli(['plan', config, '--out', planFile, '--no-audit'], {env: labEnv(lab)})
    expect(made.code, made.stderr + made.stdout).toBe(0)
    expect(made.stdout).toMatch(/signed\.test is DNSSEC-signed and validates: each DNS change counts as done only when every authoritative server serves it with a valid signature/)
    const r = await runCli(['run', planFile, '--yes'], {env: labEnv(lab)})
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/cutover complete/)

    // The runner's own span against its floor, for the record: the wait of old TTL 4 + margin 1 (no resolver held the old MX, so verification waits for no cache).
    const journal = readJournalLines(planFile)
    const span = (Date.parse(journal.at(-1)?.at ?? '') - Date.parse(journal[0].at)) / 1000
    process.stdout.write(`[dnssec.test] signed cutover: runner ${span.toFixed(1)} s, floor 5 s\n`)

    // Each DNS change converged only once every server served it signed.
    const converged = journalEvents(planFile, 'converged')
    expect(converged.map((e) => e.step)).toEqual(['lower-ttl', 'swap-mx', 'restore-ttl'])
    for (const e of converged) expect(e['dnssec']).toMatchObject({signed: true, servers: 2})
    const state: PlanState = readPlan(planFile)
    const verify = state.steps.find((s) => s.id === 'verify-propagation')
    expect((verify?.evidence as {resolvers: Array<{authenticated: boolean}>}).resolvers).toEqual([expect.objectContaining({status: 'updated', authenticated: true})])
    for (const server of [lab.primary, lab.secondary]) {
      expect(await mxOn(server, zone)).toEqual({ttl: 4, records: [`0 ${TARGET_MX}`]})
      const keys = await keysOf(server, zone)
      const mx = await query(server, zone, 'MX', {recursion: false, dnssec: true})
      const {records, sigs} = rrsetWithSignatures(mx.raw?.answers ?? [], zone, 'MX')
      expect(sigs.some((sig) => keys.some((k) => verifyRrsig(zone, 'MX', records, sig, k)))).toBe(true)
    }
    // The validating resolver now hands out the new MX, validated.
    const v = await runCli(['verify', zone, '--expect-mx', `0 ${TARGET_MX}`, '--resolver', serverLabel(lab.resolvers[0]), ...ns(), '--json'])
    expect(parseJson<{converged: boolean; resolvers: Array<{authenticated: boolean}>}>(v)).toMatchObject({converged: true, resolvers: [{authenticated: true}]})
  })
})
