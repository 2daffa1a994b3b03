import {inspect} from 'node:util'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {serverLabel, type DnsServer} from '../../src/dns/server.js'
import {createHost} from '../../src/hosts/registry.js'
import {decodeSecret, signMessage, TSIG_ERRORS, verifyMessage} from '../../src/dns/tsig.js'
import {buildUpdateMessage, parseResponseHeader, sendUpdate} from '../../src/dns/update.js'
import {DnsHostError, type DnsHost, type RecordChange} from '../../src/hosts/types.js'
import {mxRecords, rrsetFrom, type RRset} from '../../src/zone/rrset.js'
import {startLab, type Lab, type TsigKey} from './lab.js'

// RFC 2136 UPDATE signed with TSIG against a real BIND 9 primary; every result
// is read back from the primary AND the secondary (zone transfer after NOTIFY).

let lab: Lab
const client = createDnsClient({timeoutMs: 1000, retries: 1})
const contoso = {name: 'contoso.test', serial: 10, dynamic: true, records: ['@ 3600 IN MX 10 mail', '@ 3600 IN MX 20 backup', 'mail IN A 127.0.0.25', 'backup IN A 127.0.0.26']}
const nullmx = {name: 'nullmx.test', serial: 10, dynamic: true, records: ['@ 3600 IN MX 0 .']}
const race = {name: 'race.test', serial: 10, dynamic: true, records: ['@ 600 IN MX 10 mail.race.test.']}
const frozen = {name: 'frozen.test', serial: 10, records: ['@ 600 IN MX 10 mail.frozen.test.']}

beforeAll(async () => {
  lab = await startLab({zones: [contoso, nullmx, race, frozen]})
})
afterAll(async () => lab?.stop())

function useKey(k: TsigKey, envName = 'MXCUT_LAB_TSIG'): string {
  process.env[envName] = k.secret
  return `env:${envName}`
}

function host(zone: string, k: TsigKey, overrides: {name?: string; server?: string; transport?: 'udp' | 'tcp'; envName?: string; print?: (t: string) => void} = {}): DnsHost {
  return createHost(
    {host: 'rfc2136', rfc2136: {server: overrides.server ?? serverLabel(lab.primary), key: {name: overrides.name ?? k.name, algorithm: k.algorithm, secret: useKey(k, overrides.envName)}, transport: overrides.transport}},
    {zone, client, authServers: [], print: overrides.print ?? (() => {})},
  )
}

async function serial(server: DnsServer, zone: string): Promise<number | null> {
  const r = await client.query(server, zone, 'SOA', {recursion: false})
  const soa = r.answers.find((a) => a.type === 'SOA')
  return soa ? (soa.data as {serial: number}).serial : null
}

/** The MX RRset as both servers serve it, once the secondary caught up with the primary's serial. */
async function mxOnBoth(zone: string): Promise<[RRset | null, RRset | null]> {
  const s = await serial(lab.primary, zone)
  await lab.waitForSerial(lab.secondary, zone, s ?? undefined)
  const read = async (server: DnsServer) => rrsetFrom((await client.query(server, zone, 'MX', {recursion: false})).answers, zone, 'MX')
  return [await read(lab.primary), await read(lab.secondary)]
}

async function failure(p: Promise<unknown>): Promise<DnsHostError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DnsHostError)
  return err as DnsHostError
}

describe('rfc2136 host against BIND 9', () => {
  test('TTL change (hmac-sha256): data kept, TTL lowered on primary and secondary; read() sees it', async () => {
    const h = host('contoso.test', lab.tsig.sha256)
    const before = await h.read('contoso.test', 'MX')
    expect(before?.ttl).toBe(3600)
    await h.apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: before!.records, expect: {ttl: 3600, records: before!.records}}])
    const [primary, secondary] = await mxOnBoth('contoso.test')
    for (const set of [primary, secondary]) {
      expect(set?.ttl).toBe(300)
      expect(mxRecords(set)).toEqual([{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.contoso.test'}])
    }
    expect(await serial(lab.primary, 'contoso.test')).toBeGreaterThan(10)
    expect((await h.read('contoso.test', 'MX'))?.ttl).toBe(300)
  })

  test('MX replace (hmac-sha512, over TCP) lands in one UPDATE: one serial step, both servers agree', async () => {
    const h = host('contoso.test', lab.tsig.sha512, {transport: 'tcp', envName: 'MXCUT_LAB_TSIG512'})
    const live = await h.read('contoso.test', 'MX')
    const s0 = await serial(lab.primary, 'contoso.test')
    await h.apply([
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}], expect: {ttl: live!.ttl, records: live!.records}},
      {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 include:spf.protection.outlook.test -all'], expect: null},
    ])
    expect(await serial(lab.primary, 'contoso.test')).toBe(s0! + 1)
    const [primary, secondary] = await mxOnBoth('contoso.test')
    for (const set of [primary, secondary]) {
      expect(set?.ttl).toBe(300)
      expect(mxRecords(set)).toEqual([{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}])
    }
    expect((await h.read('contoso.test', 'TXT'))?.records).toEqual(['v=spf1 include:spf.protection.outlook.test -all'])
  })

  test('older algorithms: hmac-sha1 (with a warning naming the key) and hmac-sha384 sign updates BIND accepts', async () => {
    const printed: string[] = []
    const sha1 = host('contoso.test', lab.tsig.sha1, {envName: 'MXCUT_LAB_TSIG1', print: (t) => printed.push(t)})
    expect(printed).toEqual([expect.stringMatching(/^warning: TSIG key 'mxcut-lab-sha1' uses hmac-sha1, which RFC 8945 §6 deprecates: .*tsig-keygen -a hmac-sha256 mxcut-lab-sha1/)])
    await sha1.check?.()
    const before = await sha1.read('contoso.test', 'MX')
    await sha1.apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 1200, records: before!.records, expect: {ttl: before!.ttl, records: before!.records}}])
    const sha384 = host('contoso.test', lab.tsig.sha384, {envName: 'MXCUT_LAB_TSIG384', print: (t) => printed.push(t)})
    await sha384.check?.()
    await sha384.apply([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 900, records: before!.records, expect: {ttl: 1200, records: before!.records}}])
    expect(printed).toHaveLength(1)
    const [primary, secondary] = await mxOnBoth('contoso.test')
    expect(primary?.ttl).toBe(900)
    expect(secondary?.ttl).toBe(900)
  })

  test('a null MX (0 .) is replaced by real MX records', async () => {
    const h = host('nullmx.test', lab.tsig.sha256)
    const live = await h.read('nullmx.test', 'MX')
    expect(mxRecords(live)).toEqual([{priority: 0, exchange: '.'}])
    await h.apply([
      {action: 'replace', name: 'nullmx.test', type: 'MX', ttl: 120, records: [{priority: 10, exchange: 'mx1.fabrikam.test'}, {priority: 20, exchange: 'mx2.fabrikam.test'}], expect: {ttl: 3600, records: live!.records}},
    ])
    for (const set of await mxOnBoth('nullmx.test')) {
      expect(mxRecords(set)).toEqual([{priority: 10, exchange: 'mx1.fabrikam.test'}, {priority: 20, exchange: 'mx2.fabrikam.test'}])
    }
  })

  test('wrong secret (BADSIG) and unknown key (BADKEY): one auth line naming the key; zone unchanged on both servers', async () => {
    const before = await mxOnBoth('race.test')
    const s0 = await serial(lab.primary, 'race.test')
    const change: RecordChange[] = [{action: 'replace', name: 'race.test', type: 'MX', ttl: 60, records: [{priority: 5, exchange: 'evil.other.test'}]}]
    const wrongSecret = {...lab.tsig.sha256, secret: Buffer.alloc(32, 7).toString('base64')}
    const badsig = await failure(host('race.test', wrongSecret).apply(change))
    expect(badsig.kind).toBe('auth')
    expect(badsig.message).toMatch(/TSIG key 'mxcut-lab-sha256' \(hmac-sha256\).*BADSIG/)
    expect(badsig.message).not.toContain('\n')
    expect(badsig.exitCode).toBe(2)
    const badkey = await failure(host('race.test', lab.tsig.sha256, {name: 'no-such-key'}).apply(change))
    expect(badkey.kind).toBe('auth')
    expect(badkey.message).toMatch(/TSIG key 'no-such-key'.*BADKEY/)
    // An algorithm the server does not have for that key name is BADKEY too.
    const wrongAlg = await failure(host('race.test', {...lab.tsig.sha512, name: lab.tsig.sha256.name}).apply(change))
    expect(wrongAlg.message).toMatch(/BADKEY|BADSIG/)
    expect(await serial(lab.primary, 'race.test')).toBe(s0)
    expect(await mxOnBoth('race.test')).toEqual(before)
    for (const err of [badsig, badkey, wrongAlg]) {
      for (const secret of [wrongSecret.secret, lab.tsig.sha256.secret, lab.tsig.sha512.secret]) expect(inspect(err, {depth: 10})).not.toContain(secret)
    }
  })

  test('check(): a signed SOA query proves the key (BADSIG, BADKEY named) and changes nothing; a silent server is left to the step', async () => {
    const s0 = await serial(lab.primary, 'race.test')
    await host('race.test', lab.tsig.sha256).check?.()
    await host('race.test', lab.tsig.sha512).check?.()
    const badsig = await failure(host('race.test', {...lab.tsig.sha256, secret: Buffer.alloc(32, 7).toString('base64')}).check!())
    expect(badsig.kind).toBe('auth')
    expect(badsig.message).toMatch(/TSIG key 'mxcut-lab-sha256' \(hmac-sha256\).*BADSIG/)
    const badkey = await failure(host('race.test', lab.tsig.sha256, {name: 'no-such-key'}).check!())
    expect(badkey.message).toMatch(/TSIG key 'no-such-key'.*BADKEY/)
    await host('race.test', lab.tsig.sha256, {server: '127.0.0.1:9'}).check?.()
    expect(await serial(lab.primary, 'race.test')).toBe(s0)
  })

  test('wrong zone (NOTAUTH), a name outside the zone (NOTZONE), a zone without allow-update (REFUSED)', async () => {
    const notauth = await failure(host('nowhere.test', lab.tsig.sha256).apply([{action: 'delete', name: 'nowhere.test', type: 'MX'}]))
    expect(notauth.kind).toBe('zone-not-found')
    expect(notauth.message).toMatch(/not authoritative for zone nowhere\.test \(NOTAUTH\)/)
    const notzone = await failure(host('contoso.test', lab.tsig.sha256).apply([{action: 'delete', name: 'race.test', type: 'MX'}]))
    expect(notzone.kind).toBe('zone-not-found')
    expect(notzone.message).toMatch(/NOTZONE/)
    const refused = await failure(host('frozen.test', lab.tsig.sha256).apply([{action: 'delete', name: 'frozen.test', type: 'MX'}]))
    expect(refused.kind).toBe('rejected')
    expect(refused.message).toMatch(/refused the update to zone frozen\.test signed with TSIG key 'mxcut-lab-sha256'.*allow-update/)
    expect(mxRecords(await host('frozen.test', lab.tsig.sha256).read('frozen.test', 'MX'))).toEqual([{priority: 10, exchange: 'mail.frozen.test'}])
  })

  test('a prerequisite fails when someone changed the RRset after we read it: conflict, their change kept', async () => {
    const ours = host('race.test', lab.tsig.sha256)
    const read = await ours.read('race.test', 'MX')
    // Someone else edits the zone between our read and our update.
    await host('race.test', lab.tsig.sha512, {envName: 'MXCUT_LAB_TSIG512'}).apply([{action: 'replace', name: 'race.test', type: 'MX', ttl: 600, records: [{priority: 10, exchange: 'mail.other.test'}]}])
    const err = await failure(
      ours.apply([{action: 'replace', name: 'race.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'new.other.test'}], expect: {ttl: read!.ttl, records: read!.records}}]),
    )
    expect(err.kind).toBe('conflict')
    expect(err.message).toMatch(/race\.test MX changed since it was read: expected 10 mail\.race\.test\., found 10 mail\.other\.test\..*NXRRSET/)
    for (const set of await mxOnBoth('race.test')) expect(mxRecords(set)).toEqual([{priority: 10, exchange: 'mail.other.test'}])
    // "Must not exist" fails the same way when it does.
    const exists = await failure(ours.apply([{action: 'replace', name: 'race.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'new.other.test'}], expect: null}]))
    expect(exists.kind).toBe('conflict')
    expect(exists.message).toMatch(/YXRRSET/)
  })

  test('re-applying a change that already landed (a resumed run) succeeds without touching the zone', async () => {
    const h = host('race.test', lab.tsig.sha256)
    const live = await h.read('race.test', 'MX')
    const change: RecordChange = {action: 'replace', name: 'race.test', type: 'MX', ttl: 300, records: [{priority: 1, exchange: 'final.other.test'}], expect: {ttl: live!.ttl, records: live!.records}}
    await h.apply([change])
    const s = await serial(lab.primary, 'race.test')
    await h.apply([change])
    expect(await serial(lab.primary, 'race.test')).toBe(s)
    for (const set of await mxOnBoth('race.test')) expect(mxRecords(set)).toEqual([{priority: 1, exchange: 'final.other.test'}])
  })

  test('a request signed 1000 s in the past: BIND answers BADTIME with a MAC that verifies (RFC 8945 §5.2.3: our time echoed, its time in other data)', async () => {
    const key = {name: lab.tsig.sha256.name, algorithm: 'hmac-sha256' as const, secret: decodeSecret(lab.tsig.sha256.secret)}
    const now = Math.floor(Date.now() / 1000)
    const {message, mac} = signMessage(buildUpdateMessage('race.test', [], [{name: 'race.test', type: 'TXT', class: 'ANY', ttl: 0}]), key, {now: now - 1000})
    const {response} = await sendUpdate(lab.primary, message)
    expect(parseResponseHeader(response).rcodeName).toBe('NOTAUTH')
    // The MAC verifies; only the echoed time is out of the fudge, which is the point of BADTIME.
    const check = verifyMessage(response, key, {requestMac: mac, now: now - 1000})
    expect(check.ok).toBe(true)
    expect(verifyMessage(response, key, {requestMac: mac, now})).toMatchObject({ok: false, reason: 'bad-time'})
    const record = check.ok ? check.record : null
    expect(TSIG_ERRORS[record?.error ?? 0]).toBe('BADTIME')
    expect(record?.otherData.length).toBe(6)
    const serverTime = record!.otherData.readUInt16BE(0) * 2 ** 32 + record!.otherData.readUInt32BE(2)
    expect(Math.abs(serverTime - now)).toBeLessThan(60)
  })

  test('an unreachable server and an unset secret are one clear line each', async () => {
    const down = await failure(host('contoso.test', lab.tsig.sha256, {server: '127.0.0.1:9'}).apply([{action: 'delete', name: 'contoso.test', type: 'TXT'}]))
    expect(down.kind).toBe('unreachable')
    expect(down.message).toMatch(/DNS UPDATE to 127\.0\.0\.1:9 for zone contoso\.test failed/)
    const h = createHost(
      {host: 'rfc2136', rfc2136: {server: serverLabel(lab.primary), key: {name: 'k', algorithm: 'hmac-sha256', secret: 'env:MXCUT_UNSET_SECRET'}}},
      {zone: 'contoso.test', client, authServers: [], print: () => {}},
    )
    await expect(h.apply([{action: 'delete', name: 'contoso.test', type: 'TXT'}])).rejects.toThrow(/MXCUT_UNSET_SECRET is not set/)
  })
})
