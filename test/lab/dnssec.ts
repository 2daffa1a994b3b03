/**
 * DNSSEC in the lab: zones signed by BIND itself (dnssec-policy with inline
 * signing, so RFC 2136 updates go to the unsigned zone and come out signed),
 * a zone signed once with dnssec-signzone whose signatures expired on
 * purpose, a zone whose DS at the parent matches none of its keys, and the
 * lab's fake root signed too so a validating Unbound has a chain from its
 * trust anchor down to each zone.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'

/** inline: BIND signs it (dnssec-policy, inline-signing); expired: signed once, signatures long expired; ds-mismatch: signed by BIND, the root's DS is for another key. */
export type LabSigning = 'inline' | 'expired' | 'ds-mismatch'
export type LabAlgorithm = 'ecdsa256' | 'rsasha256' | 'ed25519'

export interface SignedZoneSpec {
  name: string
  dnssec?: LabSigning
  dnssecAlgorithm?: LabAlgorithm
  primaryOnly?: boolean
}

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()
const KEYGEN_ALG: Record<LabAlgorithm, string> = {ecdsa256: 'ECDSAP256SHA256', rsasha256: 'RSASHA256', ed25519: 'ED25519'}

/** The dnssec-policy blocks the lab's zones use (one per algorithm, a single CSK that never rolls). */
export function policies(): string {
  return (Object.keys(KEYGEN_ALG) as LabAlgorithm[])
    .map((a) => `dnssec-policy "lab-${a}" { keys { csk lifetime unlimited algorithm ${a === 'ecdsa256' ? 'ecdsap256sha256' : a}; }; };`)
    .join('\n')
}

/** The options of a zone stanza that make BIND sign it. */
export function signingOptions(z: SignedZoneSpec): string {
  if (z.dnssec === 'inline' || z.dnssec === 'ds-mismatch') return `dnssec-policy "lab-${z.dnssecAlgorithm ?? 'ecdsa256'}"; inline-signing yes;`
  return ''
}

/**
 * Before BIND starts: the expired zone signed with dnssec-signzone (validity
 * in 2020), and a stray key for the DS-mismatch zone. Returns the zone file
 * name BIND must load for each zone and the DS lines known already.
 */
export function prepareSigning(dir: string, zones: readonly SignedZoneSpec[], zoneFile: (name: string) => string): {files: Map<string, string>; ds: Map<string, string>} {
  const files = new Map<string, string>()
  const ds = new Map<string, string>()
  for (const z of zones) {
    if (z.dnssec === 'expired') {
      const keys = join(dir, `keys-${z.name}`)
      mkdirSync(keys, {recursive: true})
      const ksk = run('dnssec-keygen', ['-q', '-a', 'ECDSAP256SHA256', '-f', 'KSK', z.name], keys)
      const zsk = run('dnssec-keygen', ['-q', '-a', 'ECDSAP256SHA256', z.name], keys)
      const unsigned = join(keys, `${z.name}.db`)
      writeFileSync(unsigned, readFileSync(zoneFile(z.name), 'utf8') + readFileSync(join(keys, `${ksk}.key`), 'utf8') + readFileSync(join(keys, `${zsk}.key`), 'utf8'))
      const signed = join(dir, 'primary', `${z.name}.signed.db`)
      // -P: dnssec-signzone would refuse to check signatures that are already expired.
      run('dnssec-signzone', ['-P', '-o', z.name, '-s', '20200101000000', '-e', '20200201000000', '-k', `${ksk}.key`, '-f', signed, unsigned, `${zsk}.key`], keys)
      files.set(z.name, `${z.name}.signed.db`)
      ds.set(z.name, run('dnssec-dsfromkey', ['-2', `${ksk}.key`], keys))
    }
    if (z.dnssec === 'ds-mismatch') {
      const stray = join(dir, `stray-${z.name}`)
      mkdirSync(stray, {recursive: true})
      const key = run('dnssec-keygen', ['-q', '-a', KEYGEN_ALG[z.dnssecAlgorithm ?? 'ecdsa256'], '-f', 'KSK', z.name], stray)
      ds.set(z.name, run('dnssec-dsfromkey', ['-2', `${key}.key`], stray))
    }
  }
  return {files, ds}
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`lab: ${what} not ready after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function dnskeys(server: DnsServer, zone: string): Promise<string[]> {
  const r = await query(server, zone, 'DNSKEY', {recursion: false, timeoutMs: 500, retries: 0})
  return r.answers.filter((a) => a.type === 'DNSKEY').map((a) => a.name)
}

/** Once BIND signed the inline zones: their DS lines, from the key files BIND wrote in its key directory. */
export async function dsOfInlineZones(primary: DnsServer, keyDir: string, zones: readonly SignedZoneSpec[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const z of zones.filter((x) => x.dnssec === 'inline')) {
    await waitFor(`signing of ${z.name}`, async () => (await dnskeys(primary, z.name)).length > 0)
    const file = readdirSync(keyDir).find((f) => f.startsWith(`K${z.name}.+`) && f.endsWith('.key'))
    if (!file) throw new Error(`lab: no key file for ${z.name} in ${keyDir}`)
    out.set(z.name, run('dnssec-dsfromkey', ['-2', file], keyDir))
  }
  return out
}

/** The fake root with a delegation (NS, glue) for every lab zone and the DS of the signed ones. */
export function rootZone(serial: number, primaryAddr: string, secondaryAddr: string, zones: readonly SignedZoneSpec[], ds: Map<string, string>): string {
  const lines = [`$TTL 60`, `. IN SOA ns.root-lab. hostmaster.root-lab. ${serial} 3600 600 86400 60`, `. IN NS ns.root-lab.`, `ns.root-lab. IN A ${primaryAddr}`]
  for (const z of zones) {
    lines.push(`${z.name}. IN NS ns1.${z.name}.`, `ns1.${z.name}. IN A ${primaryAddr}`)
    if (!z.primaryOnly) lines.push(`${z.name}. IN NS ns2.${z.name}.`, `ns2.${z.name}. IN A ${secondaryAddr}`)
    const d = ds.get(z.name)
    if (d) lines.push(d)
  }
  return lines.join('\n') + '\n'
}

/** Waits until the signed root serves every DS, then returns the root's KSK as an Unbound trust-anchor line. */
export async function rootTrustAnchor(primary: DnsServer, ds: Map<string, string>): Promise<string> {
  for (const zone of ds.keys()) {
    await waitFor(`DS of ${zone} in the root`, async () => {
      const r = await query(primary, zone, 'DS', {recursion: false, timeoutMs: 500, retries: 0})
      return r.answers.some((a) => a.type === 'DS')
    })
  }
  let anchor = ''
  await waitFor('the root DNSKEY', async () => {
    const r = await query(primary, '.', 'DNSKEY', {recursion: false, timeoutMs: 500, retries: 0, dnssec: true})
    const ksk = (r.raw?.answers ?? []).find((a) => a.type === 'DNSKEY' && a.data.flags === 257)
    if (ksk?.type === 'DNSKEY') anchor = `257 3 ${ksk.data.algorithm} ${Buffer.from(ksk.data.key).toString('base64')}`
    return anchor !== ''
  })
  return `. DNSKEY ${anchor}`
}
