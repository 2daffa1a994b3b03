import {describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {editOctodns, parseOctodns, rrsetInOctodns} from '../../src/hosts/octodns-edit.js'

const FILE = `---
# contoso.test, managed by octoDNS
'':
  - type: MX
    ttl: 3600
    values:
      - exchange: mail.contoso.test.
        preference: 10
  - type: TXT
    values:
      - v=spf1 mx include:spf-a.providers.test -all
      - MS=ms123\\; note
mail:
  type: A
  value: 192.0.2.25
www:
  type: CNAME
  value: mail.contoso.test.
`

describe('octoDNS zone file editing', () => {
  const zone = () => parseOctodns(FILE, 'contoso.test', 'contoso.test.yaml')

  test('reads records as octoDNS means them: relative keys, the 3600 default TTL, escaped semicolons', () => {
    expect(rrsetInOctodns(zone(), 'contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]})
    expect(rrsetInOctodns(zone(), 'contoso.test', 'TXT')).toEqual({name: 'contoso.test', type: 'TXT', ttl: 3600, records: ['v=spf1 mx include:spf-a.providers.test -all', 'MS=ms123; note']})
    expect(rrsetInOctodns(zone(), 'www.contoso.test', 'CNAME')?.records).toEqual(['mail.contoso.test'])
    expect(rrsetInOctodns(zone(), 'autodiscover.contoso.test', 'CNAME')).toBeNull()
  })

  test('replaces a record in its list, adds a name in sorted order, keeps comments and other records; keys in the order octoDNS enforces', () => {
    const text = editOctodns(zone(), [
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'mx.providers.test'}]},
      {action: 'replace', name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.test'], expect: null},
      {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 3600, records: ['v=spf1 mx include:spf-t.providers.test -all', 'MS=ms123; note']},
    ])
    expect(text).toContain('# contoso.test, managed by octoDNS')
    const data = parse(text) as Record<string, unknown>
    expect(Object.keys(data)).toEqual(['', 'autodiscover', 'mail', 'www'])
    expect(data['']).toEqual([
      {ttl: 300, type: 'MX', values: [{exchange: 'mx.providers.test.', preference: 0}]},
      {ttl: 3600, type: 'TXT', values: ['v=spf1 mx include:spf-t.providers.test -all', 'MS=ms123\\; note']},
    ])
    expect(data.autodiscover).toEqual({ttl: 3600, type: 'CNAME', value: 'autodiscover.outlook.test.'})
    for (const rec of [...(data[''] as object[]), data.autodiscover as object]) expect(Object.keys(rec)).toEqual([...Object.keys(rec)].sort())
  })

  test('deleting the last record of a name removes the name; a TXT split other than at 255 cannot be held and is refused', () => {
    const text = editOctodns(zone(), [{action: 'delete', name: 'www.contoso.test', type: 'CNAME'}])
    expect(Object.keys(parse(text) as object)).toEqual(['', 'mail'])
    expect(() => editOctodns(zone(), [{action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 60, records: [['v=spf1 ', '-all']]}])).toThrow(/contoso\.test TXT is split into 2 strings other than at 255 octets; octoDNS keeps one text per TXT value/)
  })
})
