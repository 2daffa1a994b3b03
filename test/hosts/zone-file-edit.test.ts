import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {editZoneText, nextSerial, parseZoneText, rrsetIn} from '../../src/hosts/zone-file-edit.js'

const FILE = `; contoso.test, kept in git
$ORIGIN contoso.test.
$TTL 1h
@       IN SOA ns1 hostmaster (
                2024010502 ; serial
                3600 600 86400 60 )
        IN NS  ns1
        IN MX  10 mail          ; the old MX
        IN MX  20 backup.fabrikam.test.
        300 IN TXT "v=spf1 mx include:spf-a.providers.test " "include:spf-b.providers.test -all"
        IN TXT "MS=ms123"
ns1     IN A   192.0.2.1
mail    60 IN A 192.0.2.25
$ORIGIN sub.contoso.test.
www     IN CNAME mail.contoso.test.
`
const NOW = new Date('2026-12-02T10:00:00Z')

describe('zone file editing (BIND master files)', () => {
  const zone = () => parseZoneText(FILE, 'contoso.test', 'contoso.zone')

  test('reads RRsets as the file means them: inherited owners, $TTL, relative names, strings kept, $ORIGIN', () => {
    expect(rrsetIn(zone(), 'contoso.test', 'MX', 'f')).toEqual({name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'backup.fabrikam.test'}]})
    expect(rrsetIn(zone(), 'contoso.test', 'TXT', 'f')?.records).toEqual([['v=spf1 mx include:spf-a.providers.test ', 'include:spf-b.providers.test -all'], 'MS=ms123'])
    expect(rrsetIn(zone(), 'www.sub.contoso.test', 'CNAME', 'f')?.records).toEqual(['mail.contoso.test'])
    expect(rrsetIn(zone(), 'mail.contoso.test', 'A', 'f')?.ttl).toBe(60)
    expect(rrsetIn(zone(), 'autodiscover.contoso.test', 'CNAME', 'f')).toBeNull()
  })

  test('replaces an RRset where it stood, keeps every other line and comment, raises a date serial to today', () => {
    const {text, serial} = editZoneText(zone(), [{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'mx.providers.test'}]}], NOW, 'f')
    expect(serial).toEqual({from: 2024010502, to: 2026120200})
    expect(text).toContain('                2026120200 ; serial\n')
    expect(text).toContain('        IN NS  ns1\ncontoso.test.\t300\tIN\tMX\t0 mx.providers.test.\n        300 IN TXT "v=spf1')
    expect(text).not.toContain('the old MX')
    expect(text.replace(/2026120200/, '2024010502').replace(/contoso\.test\.\t300\tIN\tMX\t0 mx\.providers\.test\.\n/, '')).toBe(FILE.replace(/ {8}IN MX {2}10 mail {10}; the old MX\n {8}IN MX {2}20 backup\.fabrikam\.test\.\n/, ''))
    const again = parseZoneText(text, 'contoso.test', 'f')
    expect(rrsetIn(again, 'contoso.test', 'MX', 'f')).toEqual({name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'mx.providers.test'}]})
    expect(rrsetIn(again, 'contoso.test', 'TXT', 'f')?.records).toHaveLength(2)
  })

  test('a removed record no longer lends its owner: the next line gets it written out; a new RRset goes at the end', () => {
    const {text} = editZoneText(
      zone(),
      [
        {action: 'delete', name: 'contoso.test', type: 'MX'},
        {action: 'replace', name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.test'], expect: null},
        {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 300, records: [['v=spf1 mx ', 'include:spf-t.providers.test -all'], 'MS=ms123']},
      ],
      NOW,
      'f',
    )
    const again = parseZoneText(text, 'contoso.test', 'f')
    expect(rrsetIn(again, 'contoso.test', 'MX', 'f')).toBeNull()
    expect(rrsetIn(again, 'contoso.test', 'TXT', 'f')?.records).toEqual([['v=spf1 mx ', 'include:spf-t.providers.test -all'], 'MS=ms123'])
    expect(rrsetIn(again, 'autodiscover.contoso.test', 'CNAME', 'f')?.records).toEqual(['autodiscover.outlook.test'])
    expect(rrsetIn(again, 'ns1.contoso.test', 'A', 'f')?.records).toEqual(['192.0.2.1'])
    expect(text.endsWith('autodiscover.contoso.test.\t3600\tIN\tCNAME\tautodiscover.outlook.test.\n')).toBe(true)
  })

  test.runIf(hasCheckzone())('named-checkzone loads the edited file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxcut-zf-'))
    const {text} = editZoneText(zone(), [{action: 'delete', name: 'contoso.test', type: 'MX'}], NOW, 'f')
    writeFileSync(join(dir, 'z'), text)
    expect(execFileSync('named-checkzone', ['contoso.test', join(dir, 'z')], {encoding: 'utf8'})).toMatch(/loaded serial 2026120200/)
  })

  test('serials: a date serial moves to today or counts on; a counter adds one; $INCLUDE and a missing SOA are refused', () => {
    expect(nextSerial(2026120205, NOW)).toBe(2026120206)
    expect(nextSerial(2024010100, NOW)).toBe(2026120200)
    expect(nextSerial(41, NOW)).toBe(42)
    expect(nextSerial(4294967295, NOW)).toBe(0)
    expect(() => parseZoneText('$INCLUDE other.zone\n', 'contoso.test', 'f')).toThrow(/\$INCLUDE: mxcut edits one file/)
    expect(() => editZoneText(parseZoneText('@ 60 IN MX 10 mail\n', 'contoso.test', 'f'), [{action: 'delete', name: 'contoso.test', type: 'MX'}], NOW, 'f')).toThrow(/has no SOA record/)
  })
})

function hasCheckzone(): boolean {
  try {
    execFileSync('named-checkzone', ['-v'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}
