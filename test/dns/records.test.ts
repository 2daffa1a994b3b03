import type {Answer} from 'dns-packet'
import {describe, expect, test} from 'vitest'
import {
  answerText,
  fromAnswer,
  parseTxtPresentation,
  rdataText,
  rewriteTxt,
  splitTxt,
  txtData,
  txtPresentation,
  txtStrings,
  txtText,
} from '../../src/dns/records.js'

const SPF = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all']

describe('TXT character-strings', () => {
  test('a TXT answer keeps its strings as served; one string stays a plain string', () => {
    const split = fromAnswer({name: 'Contoso.test.', type: 'TXT', ttl: 60, data: SPF.map((s) => Buffer.from(s))} as Answer)
    expect(split).toEqual({name: 'contoso.test', type: 'TXT', ttl: 60, data: SPF})
    const one = fromAnswer({name: 'contoso.test', type: 'TXT', ttl: 60, data: [Buffer.from('MS=ms1234')]} as Answer)
    expect(one?.data).toBe('MS=ms1234')
    expect(answerText(split!)).toBe('v=spf1 mx include:spf.a.test include:spf.b.test -all')
  })

  test('a value cut at 255 octets is held as its text; any other cut as the strings', () => {
    const long = 'p='.padEnd(300, 'A')
    expect(txtData([long.slice(0, 255), long.slice(255)])).toBe(long)
    expect(txtData([long.slice(0, 200), long.slice(200)])).toEqual([long.slice(0, 200), long.slice(200)])
    expect(txtStrings(long)).toEqual([long.slice(0, 255), long.slice(255)])
    expect(txtStrings('')).toEqual([''])
    expect(txtData([])).toEqual([])
    expect(txtText(SPF)).toBe(SPF.join(''))
  })

  test('a new long value is cut at 255 octets, never inside a UTF-8 sequence', () => {
    const text = 'a'.repeat(254) + 'é' + 'b'
    const parts = splitTxt(text)
    expect(parts).toEqual(['a'.repeat(254), 'éb'])
    expect(parts.map((p) => Buffer.byteLength(p))).toEqual([254, 3])
    expect(splitTxt('x'.repeat(510)).map((p) => p.length)).toEqual([255, 255])
  })

  test('presentation quotes each string and reads them back one by one', () => {
    expect(txtPresentation(SPF)).toBe('"v=spf1 mx include:spf.a.test " "include:spf.b.test -all"')
    expect(rdataText({type: 'TXT', data: SPF})).toBe('"v=spf1 mx include:spf.a.test " "include:spf.b.test -all"')
    expect(parseTxtPresentation('"v=spf1 mx include:spf.a.test " "include:spf.b.test -all"')).toEqual(SPF)
    expect(parseTxtPresentation('"a\\"b" c\\032d')).toEqual(['a"b', 'c d'])
    expect(txtPresentation([])).toBe('\\# 0')
    // Content over 255 octets in one quoted string (some APIs accept it) is cut as those APIs cut it.
    expect(parseTxtPresentation(`"${'k'.repeat(300)}"`)).toBe('k'.repeat(300))
    expect(txtStrings(parseTxtPresentation(`"a" "${'k'.repeat(300)}"`)).map((s) => s.length)).toEqual([1, 255, 45])
  })
})

describe('rewriting a TXT record keeps its split where it can', () => {
  test('an include merged before -all: the untouched first string stays, the edited one takes the change', () => {
    const merged = 'v=spf1 mx include:spf.a.test include:spf.b.test include:spf.target.test -all'
    expect(rewriteTxt(SPF, merged)).toEqual(['v=spf1 mx include:spf.a.test ', 'include:spf.b.test include:spf.target.test -all'])
  })

  test('an include removed from the first string: the last string stays', () => {
    expect(rewriteTxt(SPF, 'v=spf1 mx include:spf.b.test -all')).toEqual(['v=spf1 mx ', 'include:spf.b.test -all'])
  })

  test('a whole string removed disappears; an unchanged text keeps its strings', () => {
    const three = ['v=spf1 ', 'include:spf.a.test ', '-all']
    expect(rewriteTxt(three, 'v=spf1 -all')).toEqual(['v=spf1 ', '-all'])
    expect(rewriteTxt(three, three.join(''))).toEqual(three)
  })

  test('a changed string that grows past 255 octets is cut at 255; plain text stays plain text', () => {
    const ips = 'ip4:192.0.2.1 '.repeat(16)
    const old = ['v=spf1 include:a.test ' + ips, 'mx -all']
    const text = 'v=spf1 include:spf.target.test include:a.test ' + ips + 'mx -all'
    const grown = rewriteTxt(old, text)
    expect(txtText(grown)).toBe(text)
    expect(txtStrings(grown).map((s) => Buffer.byteLength(s))).toEqual([255, Buffer.byteLength(text) - 255 - 7, 7])
    expect(txtStrings(grown).at(-1)).toBe('mx -all')
    expect(rewriteTxt('v=spf1 mx -all', 'v=spf1 mx include:x.test -all')).toBe('v=spf1 mx include:x.test -all')
  })
})
