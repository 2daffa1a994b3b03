import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {describeChange} from '../../src/hosts/providers/manual.js'
import {createHost} from '../../src/hosts/registry.js'
import {DnsHostError, type RecordChange} from '../../src/hosts/types.js'
import type {AuthServer} from '../../src/zone/discover.js'
import {startLab, type Lab} from './lab.js'

// The manual host: instructions as a DNS console wants them, then either a
// confirmation or polling every authoritative server (BIND primary and a
// secondary that only follows when told: NOTIFY is off in this lab).

let lab: Lab
let servers: AuthServer[]
const client = createDnsClient({timeoutMs: 500, retries: 0})
const zone = {name: 'contoso.test', serial: 1, records: ['@ 3600 IN MX 10 mail', 'mail IN A 127.0.0.25', '@ 3600 IN TXT "v=spf1 mx -all"']}

beforeAll(async () => {
  lab = await startLab({zones: [zone], notify: false})
  servers = [
    {...lab.primary, host: 'ns1.contoso.test'},
    {...lab.secondary, host: 'ns2.contoso.test'},
  ]
})
afterAll(async () => lab?.stop())

const swap: RecordChange[] = [
  {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}], expect: {ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]}},
  {action: 'delete', name: 'old._domainkey.contoso.test', type: 'TXT', expect: {ttl: 3600, records: ['v=DKIM1; p=abc']}},
]

describe('manual host', () => {
  test('prints host, type, priority, value and TTL as a console wants them: what to add first, then what to delete, and zone-file lines', async () => {
    const out: string[] = []
    const asked: string[] = []
    const h = createHost({host: 'manual'}, {zone: 'contoso.test', client, authServers: servers, print: (t) => out.push(t), confirm: async (m) => (asked.push(m), false)})
    await h.apply(swap).catch(() => undefined)
    const text = out.join('\n')
    expect(text).toContain('Make these 2 changes at your DNS host, zone contoso.test:')
    expect(text).toContain('Replace MX records of @ (contoso.test), in this order:')
    expect(text).toMatch(/1\. add:\n\s+Host\/Name\s+Type\s+Priority\s+Value\s+TTL\n\s+@\s+MX\s+0\s+contoso-test\.mail\.protection\.outlook\.test\s+300\n\s+2\. then delete:\n\s+Host\/Name\s+Type\s+Priority\s+Value\s+TTL\n\s+@\s+MX\s+10\s+mail\.contoso\.test\s+3600\n\s+Add before you delete: for a moment with no MX, senders fall back to contoso\.test's address records or bounce\./)
    expect(text).toContain('contoso.test. 300 IN MX 0 contoso-test.mail.protection.outlook.test.')
    expect(text).toContain('Delete all TXT records of old._domainkey (old._domainkey.contoso.test):')
    expect(text).toMatch(/old\._domainkey\s+TXT\s+v=DKIM1; p=abc\s+3600/)
    expect(asked).toHaveLength(1)
  })

  test('MX listed by priority; a TTL-only change says so', () => {
    const text = describeChange(
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 20, exchange: 'b.contoso.test'}, {priority: 5, exchange: 'z.contoso.test'}, {priority: 10, exchange: 'a.contoso.test'}], expect: {ttl: 3600, records: [{priority: 10, exchange: 'a.contoso.test'}, {priority: 20, exchange: 'b.contoso.test'}, {priority: 5, exchange: 'z.contoso.test'}]}},
      'contoso.test',
    ).join('\n')
    expect(text).toMatch(/^Change the TTL of these MX records of @ \(contoso\.test\) from 3600 to 300 \(the data stays\):/)
    expect(text.indexOf('z.contoso.test')).toBeLessThan(text.indexOf('a.contoso.test'))
    expect(text.indexOf('a.contoso.test')).toBeLessThan(text.indexOf('b.contoso.test'))
  })

  test('"yes" without the change made: at once, which record is still missing on which server, then the question again', async () => {
    const out: string[] = []
    const answers = [true, false]
    const h = createHost({host: 'manual'}, {zone: 'contoso.test', client, authServers: servers, print: (t) => out.push(t), confirm: async () => answers.shift() ?? false, graceMs: 300, pollIntervalMs: 100})
    const err = (await h.apply([swap[0]]).catch((e: unknown) => e)) as DnsHostError
    expect(err.kind).toBe('cancelled')
    const report = out.at(-1) ?? ''
    expect(report).toMatch(/^Not served yet:\n  ns1\.contoso\.test \(127\.53\.\d+\.1\) serves 10 mail\.contoso\.test\. \(TTL 3600\) for contoso\.test MX; wanted 0 contoso-test\.mail\.protection\.outlook\.test\. \(TTL 300\)\n  ns2\.contoso\.test/)
    // Neither server has it: nothing about zone transfers or secondaries.
    expect(report).toMatch(/No authoritative server serves it: the change is not saved \(or not published\) at your DNS host yet/)
    expect(report).not.toMatch(/zone transfer/)
  })

  test('a "no" at the prompt is a cancelled change, one line', async () => {
    const h = createHost({host: 'manual'}, {zone: 'contoso.test', client, authServers: servers, print: () => {}, confirm: async () => false})
    const err = await h.apply(swap).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsHostError)
    expect((err as DnsHostError).kind).toBe('cancelled')
  })

  test('without a prompt it polls every authoritative server and returns only once all of them serve the change', async () => {
    const out: string[] = []
    const h = createHost({host: 'manual'}, {zone: 'contoso.test', client, authServers: servers, print: (t) => out.push(t), pollIntervalMs: 100, timeoutMs: 30_000})
    const change: RecordChange[] = [{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}]}]
    let done = false
    const applying = h.apply(change).then(() => (done = true))
    // The admin makes the change at the primary; the secondary lags (no NOTIFY).
    await lab.writeZone({...zone, serial: 2, records: ['@ 300 IN MX 0 contoso-test.mail.protection.outlook.test.', 'mail IN A 127.0.0.25', '@ 3600 IN TXT "v=spf1 mx -all"']})
    await new Promise((r) => setTimeout(r, 500))
    expect(done).toBe(false)
    expect((await h.read('contoso.test', 'MX'))?.ttl).toBe(300) // the primary has it
    await lab.notifySecondary('contoso.test')
    await applying
    expect(done).toBe(true)
    expect(out.join('\n')).toMatch(/Waiting until all 2 authoritative servers \(ns1\.contoso\.test, ns2\.contoso\.test\) serve it/)
  })

  test('a change that never appears times out naming the server and what it still serves', async () => {
    const h = createHost({host: 'manual'}, {zone: 'contoso.test', client, authServers: servers, print: () => {}, pollIntervalMs: 100, timeoutMs: 400})
    const err = (await h.apply([{action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 include:spf.protection.outlook.test -all']}]).catch((e: unknown) => e)) as DnsHostError
    expect(err).toBeInstanceOf(DnsHostError)
    expect(err.kind).toBe('timeout')
    expect(err.message).toMatch(/did not appear within 1 s: ns1\.contoso\.test \(127\.53\.\d+\.1\) still serves "v=spf1 mx -all" \(TTL 3600\) for contoso\.test TXT/)
  })

  test('servers that never answer: unreachable', async () => {
    const dead: AuthServer[] = [{kind: 'dns', address: '127.0.0.1', port: 9, name: 'dead', host: 'ns9.contoso.test'}]
    const h = createHost({host: 'manual'}, {zone: 'contoso.test', client, authServers: dead, print: () => {}, pollIntervalMs: 100, timeoutMs: 300})
    const err = (await h.apply([{action: 'delete', name: 'contoso.test', type: 'TXT'}]).catch((e: unknown) => e)) as DnsHostError
    expect(err.kind).toBe('unreachable')
    expect(err.message).toMatch(/ns9\.contoso\.test \(127\.0\.0\.1:9/)
    await expect(h.read('contoso.test', 'MX')).rejects.toThrow(/no authoritative server of contoso\.test answered/)
  })
})
