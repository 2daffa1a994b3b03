import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parseJson, runCli} from '../helpers/cli.js'
import {serverLabel} from '../../src/dns/server.js'
import type {InspectReport} from '../../src/zone/inspect.js'
import {startLab, type Lab} from './lab.js'

let lab: Lab
const zone = {name: 'contoso.test', serial: 7, records: ['eu 600 IN MX 5 mail', '@ 3600 IN MX 10 mail', '@ 3600 IN MX 20 backup.mx.fabrikam.test.', 'mail 300 IN A 127.0.0.25', '@ IN TXT "v=spf1 mx -all"', '_dmarc IN TXT "v=DMARC1; p=none"']}
const fabrikam = {name: 'fabrikam.test', records: ['backup.mx IN A 127.0.0.26']}

beforeAll(async () => {
  lab = await startLab({zones: [zone, fabrikam], resolvers: [{}], notify: false})
})
afterAll(async () => lab?.stop())

describe('inspect against BIND', () => {
  test('reads MX with the zone-file TTL and both serials from the given servers', async () => {
    const r = await runCli(['inspect', 'contoso.test', '--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<InspectReport>(r)
    expect(report.zone).toBe('contoso.test')
    expect(report.mx.ttl).toBe(3600)
    expect(report.mx.records).toEqual([{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.mx.fabrikam.test'}])
    expect(report.nameservers.map((n) => n.serial)).toEqual([7, 7])
    expect(report.consistent).toBe(true)
    expect(report.spf).toBe('v=spf1 mx -all')
    expect(report.dmarc).toBe('v=DMARC1; p=none')
    // In-zone target read from the authoritative servers; the other one needs a resolver, and none was given.
    expect(report.mxTargets).toContainEqual({exchange: 'mail.contoso.test', from: 'authoritative', status: 'ok', cname: null, addresses: ['127.0.0.25']})
    expect(report.mxTargets).toContainEqual({exchange: 'backup.mx.fabrikam.test', from: 'not-looked-up', status: 'not-looked-up', cname: null, addresses: []})
  })

  test('discovers the authoritative servers through a resolver', async () => {
    const r = await runCli(['inspect', 'contoso.test', '--resolver', serverLabel(lab.resolvers[0]), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<InspectReport>(r)
    expect(report.nameservers.map((n) => [n.name, n.address]).sort()).toEqual([
      ['ns1.contoso.test', lab.primary.address],
      ['ns2.contoso.test', lab.secondary.address],
    ])
    expect(report.mxTargets.find((t) => t.exchange === 'backup.mx.fabrikam.test')).toMatchObject({from: 'resolver', addresses: ['127.0.0.26']})
  })

  test('a lagging secondary makes the view inconsistent, naming both serials', async () => {
    // NOTIFY is off in this lab: the secondary keeps serial 7 until told.
    await lab.writeZone({...zone, serial: 8, records: [...zone.records.filter((l) => !l.includes('MX 20')), '@ 3600 IN MX 20 mail2', 'mail2 IN A 127.0.0.27']})
    const r = await runCli(['inspect', 'contoso.test', '--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--json'])
    const report = parseJson<InspectReport>(r)
    expect(report.consistent).toBe(false)
    expect(report.nameservers.map((n) => n.serial)).toEqual([8, 7])
    expect(report.disagreements.map((d) => d.subject)).toEqual(expect.arrayContaining(['SOA serial', 'contoso.test MX']))
    const text = await runCli(['inspect', 'contoso.test', '--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary)])
    expect(text.stdout).toMatch(/disagree/)
    await lab.notifySecondary('contoso.test')
    await lab.waitForSerial(lab.secondary, 'contoso.test', 8)
    const after = parseJson<InspectReport>(await runCli(['inspect', 'contoso.test', '--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--json']))
    expect(after.consistent).toBe(true)
    expect(after.mx.ttl).toBe(3600)
  })

  test('a domain below the apex reports its zone', async () => {
    const r = await runCli(['inspect', 'EU.Contoso.Test.', '--resolver', serverLabel(lab.resolvers[0]), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<InspectReport>(r)
    expect(report).toMatchObject({domain: 'eu.contoso.test', zone: 'contoso.test', mx: {ttl: 600, records: [{priority: 5, exchange: 'mail.contoso.test'}]}})
  })

  test('a domain that does not exist is one clear line', async () => {
    const r = await runCli(['inspect', 'nothere.contoso.test', '--resolver', serverLabel(lab.resolvers[0])])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/^mxcut: nothere\.contoso\.test does not exist \(NXDOMAIN/)
  })

  test('bad input: one line, exit 2, no stack', async () => {
    for (const args of [['inspect', 'bad..domain'], ['inspect', 'contoso.test', '--nameserver', 'not-an-ip'], ['inspect', 'nope.test', '--nameserver', serverLabel(lab.primary)]]) {
      const r = await runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })

  test('an unreachable server is reported, not fatal', async () => {
    const r = await runCli(['inspect', 'contoso.test', '--nameserver', serverLabel(lab.primary), '--nameserver', '127.0.0.1:9', '--timeout', '300', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = parseJson<InspectReport>(r)
    expect(report.nameservers[1]).toMatchObject({reachable: false})
    expect(report.consistent).toBe(false)
  })
})
