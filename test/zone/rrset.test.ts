import {expect, test} from 'vitest'
import {isNullMx, mxRecords, parseMx, rdataKeys, rrsetFrom, sameData, sameRRset, txtTexts, zoneLines, type RRset} from '../../src/zone/rrset.js'
import type {Rr} from '../../src/dns/records.js'

const mx = (ttl: number, ...records: Array<[number, string]>): RRset => ({
  name: 'contoso.test',
  type: 'MX',
  ttl,
  records: records.map(([priority, exchange]) => ({priority, exchange})),
})

test('RRsets compare by data regardless of order, and by TTL when asked', () => {
  const a = mx(3600, [10, 'a.test'], [20, 'b.test'])
  const b = mx(300, [20, 'b.test'], [10, 'a.test'])
  expect(sameData(a, b)).toBe(true)
  expect(sameRRset(a, b)).toBe(false)
  expect(sameRRset(a, {...b, ttl: 3600})).toBe(true)
  expect(sameData(a, mx(3600, [10, 'a.test']))).toBe(false)
  expect(sameData(null, null)).toBe(true)
  expect(sameData(a, null)).toBe(false)
})

test('rrsetFrom keeps the owner and type asked and the smallest TTL (RFC 2181 §5.2)', () => {
  const answers: Rr[] = [
    {name: 'contoso.test', type: 'MX', ttl: 300, data: {priority: 10, exchange: 'a.test'}},
    {name: 'contoso.test', type: 'MX', ttl: 200, data: {priority: 20, exchange: 'b.test'}},
    {name: 'other.test', type: 'MX', ttl: 100, data: {priority: 5, exchange: 'c.test'}},
  ]
  expect(rrsetFrom(answers, 'Contoso.Test.', 'MX')).toEqual(mx(200, [10, 'a.test'], [20, 'b.test']))
  expect(rrsetFrom(answers, 'contoso.test', 'TXT')).toBeNull()
})

test('null MX, MX parsing and zone lines', () => {
  expect(isNullMx(mx(300, [0, '.']))).toBe(true)
  expect(isNullMx(mx(300, [0, '.'], [10, 'a.test']))).toBe(false)
  expect(parseMx('10 MX1.Contoso.com.')).toEqual({priority: 10, exchange: 'mx1.contoso.com'})
  expect(parseMx('0 .')).toEqual({priority: 0, exchange: '.'})
  expect(parseMx('mx1.contoso.com')).toBeNull()
  expect(parseMx('70000 a.test')).toBeNull()
  expect(mxRecords(mx(1, [20, 'b.test'], [10, 'a.test'])).map((m) => m.exchange)).toEqual(['a.test', 'b.test'])
  expect(zoneLines(mx(300, [0, '.']))).toEqual(['contoso.test. 300 IN MX 0 .'])
  expect(rdataKeys({type: 'TXT', records: ['v=spf1 -all']})).toEqual(['"v=spf1 -all"'])
})

test('TXT records are the same only when their character-strings are (the text alone is not enough)', () => {
  const txt = (...records: Array<string | string[]>): RRset => ({name: 'contoso.test', type: 'TXT', ttl: 60, records})
  const split = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all']
  expect(sameData(txt(split), txt(split.join('')))).toBe(false)
  expect(sameData(txt(split, 'MS=ms1'), txt('MS=ms1', [...split]))).toBe(true)
  expect(sameData(txt(['v=spf1 ', 'mx -all']), txt(['v=spf1 mx', ' -all']))).toBe(false)
  // A long value held as text stands for its 255-octet cut, as a server serves it.
  expect(sameData(txt('k'.repeat(300)), txt(['k'.repeat(255), 'k'.repeat(45)]))).toBe(true)
  expect(zoneLines(txt(split))).toEqual(['contoso.test. 60 IN TXT "v=spf1 mx include:spf.a.test " "include:spf.b.test -all"'])
  expect(txtTexts(txt(split, 'MS=ms1'))).toEqual(['v=spf1 mx include:spf.a.test include:spf.b.test -all', 'MS=ms1'])
})
