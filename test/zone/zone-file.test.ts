import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {loadZoneFile} from '../../src/zone/load-zone.js'
import {parseOctodnsZone} from '../../src/zone/octodns.js'
import {parseBindZone, parseTtl} from '../../src/zone/zone-file.js'
import type {RRset} from '../../src/zone/rrset.js'

const dir = mkdtempSync(join(tmpdir(), 'mxcut-zonefile-'))
const set = (sets: RRset[], name: string, type: string) => sets.find((s) => s.name === name && s.type === type)

describe('BIND master files', () => {
  test('SOA over several lines, $ORIGIN, $TTL, relative and absolute names, blank owners, TTL units, class before TTL', () => {
    const z = parseBindZone(
      [
        '$ORIGIN contoso.test.',
        '$TTL 1h',
        '@ IN SOA ns1 hostmaster.contoso.test. ( 2024010101 ; serial',
        '     3h 15m 2w',
        '     300 )',
        '    IN NS ns1',
        '    IN NS ns2.contoso.test.',
        'ns1 A 192.0.2.1',
        '@ IN 600 MX 10 mx1   ; class before TTL',
        '  600 MX 20 mx2.fabrikam.test.',
        'mail.sub 1d CNAME mx1',
        '$ORIGIN sub.contoso.test.',
        'www AAAA 2001:DB8::1',
      ].join('\n'),
      {file: 'contoso.zone'},
    )
    expect(z.origin).toBe('contoso.test')
    expect(z.soa).toEqual({mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: 2024010101, refresh: 10800, retry: 900, expire: 1209600, minimum: 300, ttl: 3600})
    expect(set(z.rrsets, 'contoso.test', 'NS')?.records).toEqual(['ns1.contoso.test', 'ns2.contoso.test'])
    expect(set(z.rrsets, 'contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 600, records: [{priority: 10, exchange: 'mx1.contoso.test'}, {priority: 20, exchange: 'mx2.fabrikam.test'}]})
    expect(set(z.rrsets, 'mail.sub.contoso.test', 'CNAME')).toMatchObject({ttl: 86400, records: ['mx1.contoso.test']})
    expect(set(z.rrsets, 'www.sub.contoso.test', 'AAAA')).toMatchObject({ttl: 3600, records: ['2001:db8::1']})
  })

  test('TXT: several strings joined, escapes decoded, ; and ( inside quotes are data, strings across lines', () => {
    const z = parseBindZone(
      ['@ 300 IN TXT "v=spf1 include:_spf.google.com " "~all"', '_dmarc 300 IN TXT "v=DMARC1; p=none" ; a comment', 'k._domainkey 300 IN TXT ( "v=DKIM1; k=rsa; "', '  "p=MIIB(abc)" )', 'q 300 IN TXT "say \\"hi\\" \\059 ok \\195\\169"'].join('\n'),
      {file: 'x.zone', origin: 'contoso.test'},
    )
    expect(set(z.rrsets, 'contoso.test', 'TXT')?.records).toEqual(['v=spf1 include:_spf.google.com ~all'])
    expect(set(z.rrsets, '_dmarc.contoso.test', 'TXT')?.records).toEqual(['v=DMARC1; p=none'])
    expect(set(z.rrsets, 'k._domainkey.contoso.test', 'TXT')?.records).toEqual(['v=DKIM1; k=rsa; p=MIIB(abc)'])
    expect(set(z.rrsets, 'q.contoso.test', 'TXT')?.records).toEqual(['say "hi" ; ok é'])
  })

  test('types a cutover does not read are skipped, not refused; $INCLUDE reads beside the file', () => {
    writeFileSync(join(dir, 'extra.inc'), 'www 300 IN A 192.0.2.80\n')
    const file = join(dir, 'main.zone')
    const z = parseBindZone(['$TTL 300', '@ SOA ns1 hm 1 2 3 4 5', '@ CAA 0 issue "letsencrypt.org"', '_sip._tcp SRV 10 5 5060 sip', `$INCLUDE extra.inc`].join('\n'), {file, origin: 'contoso.test'})
    expect(z.skipped).toEqual(['CAA', 'SRV'])
    expect(set(z.rrsets, 'www.contoso.test', 'A')?.records).toEqual(['192.0.2.80'])
  })

  test('mistakes are one line naming the file, the line and the problem', () => {
    const bad = (text: string) => () => parseBindZone(text, {file: 'bad.zone', origin: 'contoso.test'})
    expect(bad('@ IN MX 10 mx1')).toThrow('zone file bad.zone line 1: the record has no TTL and no $TTL came before it: add $TTL 3600 at the top')
    expect(bad('$TTL 60\n@ MX ten mx1')).toThrow("zone file bad.zone line 2: MX priority 'ten' is not a number from 0 to 65535")
    expect(bad('$TTL 60\nwww A 300.1.1.1')).toThrow("zone file bad.zone line 2: '300.1.1.1' is not an IPv4 address")
    expect(bad('$TTL 60\n@ TXT "open')).toThrow('zone file bad.zone line 2: a quoted string is not closed')
    expect(bad('$TTL 60\n@ SOA ns1 hm ( 1 2 3 4 5')).toThrow("zone file bad.zone line 2: '(' is never closed")
    expect(bad('$TTL 60\nwww.fabrikam.test. A 192.0.2.1')).toThrow('zone file bad.zone line 2: www.fabrikam.test is outside the zone contoso.test')
    expect(bad('$TTL 60\n$GENERATE 1-9 h$ A 192.0.2.$')).toThrow('zone file bad.zone line 2: $GENERATE is not supported (mxcut reads $ORIGIN, $TTL and $INCLUDE)')
    expect(bad('$TTL 60\nwww CNAME a\nwww A 192.0.2.1')).toThrow('zone file bad.zone: www.contoso.test has a CNAME and other data (RFC 1034 §3.6.2); fix the file')
    expect(() => parseBindZone('www 60 A 192.0.2.1', {file: 'bad.zone'})).toThrow("zone file bad.zone line 1: 'www' is relative but no origin is known: add $ORIGIN or give the domain")
  })

  test('TTLs in seconds or with units', () => {
    expect(parseTtl('3600')).toBe(3600)
    expect(parseTtl('1h30m')).toBe(5400)
    expect(parseTtl('1W')).toBe(604800)
    expect(parseTtl('IN')).toBeNull()
  })
})

describe('octoDNS zones', () => {
  test("'' is the apex, one record or a list, default TTL 3600, MX preference/exchange, TXT \\; unescaped", () => {
    const z = parseOctodnsZone(
      [
        "'':",
        '  - type: MX',
        '    ttl: 600',
        '    values:',
        '      - {preference: 10, exchange: mx1.contoso.test.}',
        '      - {preference: 20, exchange: mx2}',
        '  - type: TXT',
        '    values: ["v=spf1 mx -all"]',
        '  - type: CAA',
        '    value: {flags: 0, tag: issue, value: ca.test}',
        '_dmarc:',
        '  type: TXT',
        '  value: v=DMARC1\\; p=reject',
      ].join('\n'),
      {file: 'contoso.test.yaml', origin: 'contoso.test'},
    )
    expect(set(z.rrsets, 'contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 600, records: [{priority: 10, exchange: 'mx1.contoso.test'}, {priority: 20, exchange: 'mx2.contoso.test'}]})
    expect(set(z.rrsets, 'contoso.test', 'TXT')?.ttl).toBe(3600)
    expect(set(z.rrsets, '_dmarc.contoso.test', 'TXT')?.records).toEqual(['v=DMARC1; p=reject'])
    expect(z.soa).toBeNull()
    expect(z.skipped).toEqual(['CAA'])
  })

  test('a file of another zone is refused by name', async () => {
    const file = join(dir, 'fabrikam.test.yaml')
    writeFileSync(file, "'':\n  type: A\n  value: 192.0.2.1\n")
    await expect(loadZoneFile(file, 'contoso.test')).rejects.toThrow(`zone file ${file} holds the zone fabrikam.test, not contoso.test: give the zone file of contoso.test`)
    await expect(loadZoneFile(join(dir, 'missing.zone'), 'contoso.test')).rejects.toThrow(`zone file ${join(dir, 'missing.zone')} does not exist`)
  })
})

test('the bundled example zone is a complete zone the demo and the lab serve', async () => {
  const z = await loadZoneFile('plans/examples/tailspin-toys.zone', 'tailspin-toys.example')
  expect(z.origin).toBe('tailspin-toys.example')
  expect(z.soa).toMatchObject({serial: 2025030301, minimum: 300, ttl: 3600})
  expect(set(z.rrsets, 'tailspin-toys.example', 'MX')).toEqual({name: 'tailspin-toys.example', type: 'MX', ttl: 3600, records: [{priority: 1, exchange: 'smtp.google.com'}]})
})
