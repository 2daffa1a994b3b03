import {describe, expect, test} from 'vitest'
import {parseTxtPresentation, txtPresentation} from '../../src/dns/records.js'
import {fromText, matchesTarget, toText} from '../../src/hosts/rdata.js'

describe('record data in presentation form', () => {
  test('TXT: quotes and backslashes escaped, split at 255 octets, parsed back string by string', () => {
    expect(txtPresentation('v=spf1 "a" \\b')).toBe('"v=spf1 \\"a\\" \\\\b"')
    const long = 'k'.repeat(256)
    expect(txtPresentation(long)).toBe(`"${'k'.repeat(255)}" "k"`)
    expect(parseTxtPresentation(txtPresentation(long))).toBe(long)
    expect(parseTxtPresentation('"v=spf1 \\"a\\" \\\\b"')).toBe('v=spf1 "a" \\b')
    expect(parseTxtPresentation('"caf\\195\\169"')).toBe('café')
    expect(parseTxtPresentation('bare-text')).toBe('bare-text')
  })

  test('MX, CNAME, A round-trip; null MX; names canonical', () => {
    expect(toText('MX', {priority: 10, exchange: 'Mail.Contoso.test'})).toBe('10 mail.contoso.test.')
    expect(toText('MX', {priority: 0, exchange: '.'})).toBe('0 .')
    expect(fromText('MX', '0 .')).toEqual({priority: 0, exchange: '.'})
    expect(fromText('MX', '10 Mail.Contoso.test.')).toEqual({priority: 10, exchange: 'mail.contoso.test'})
    expect(fromText('CNAME', 'autodiscover.outlook.com.')).toBe('autodiscover.outlook.com')
    expect(toText('CNAME', 'autodiscover.outlook.com')).toBe('autodiscover.outlook.com.')
    expect(() => fromText('MX', 'nonsense')).toThrow(/cannot read MX/)
  })

  test('matchesTarget: data and TTL for a replace, absence for a delete', () => {
    const live = {name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'a.test'}]}
    expect(matchesTarget(live, {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'a.test'}]})).toBe(true)
    expect(matchesTarget(live, {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 0, exchange: 'a.test'}]})).toBe(false)
    expect(matchesTarget(live, {action: 'delete', name: 'contoso.test', type: 'MX'})).toBe(false)
    expect(matchesTarget(null, {action: 'delete', name: 'contoso.test', type: 'MX'})).toBe(true)
  })
})
