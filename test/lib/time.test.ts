import {expect, test} from 'vitest'
import {formatClock, formatDuration, formatSeconds, formatWhen, timeZoneName} from '../../src/lib/time.js'

test('durations as people say them', () => {
  expect(formatDuration(0)).toBe('0 s')
  expect(formatDuration(42)).toBe('42 s')
  expect(formatDuration(60)).toBe('1 min')
  expect(formatDuration(250)).toBe('4 min 10 s')
  expect(formatDuration(3660)).toBe('1 h 01 min')
  expect(formatDuration(86400)).toBe('1 d')
  expect(formatDuration(86400 + 7200)).toBe('1 d 2 h')
  expect(formatDuration(-5)).toBe('0 s')
})

test('clock times are local, with the date, the year and the zone; relative times say which way', () => {
  const now = new Date(2026, 10, 23, 14, 5, 9).getTime()
  const zone = timeZoneName(new Date(now))
  expect(zone).toMatch(/^[A-Z]{2,5}$|^GMT[+-]\d/)
  expect(formatClock(now)).toBe(`Mon 23 Nov 2026 14:05:09 ${zone}`)
  expect(formatWhen(now + 3600_000, now)).toBe(`in 1 h 00 min (Mon 23 Nov 2026 15:05:09 ${zone})`)
  expect(formatWhen(now - 90_000, now)).toBe(`1 min 30 s ago (Mon 23 Nov 2026 14:03:39 ${zone})`)
  expect(formatWhen(now, now)).toBe(`now (Mon 23 Nov 2026 14:05:09 ${zone})`)
})

test('the zone name is the one of the machine (TZ)', () => {
  const winter = new Date(Date.UTC(2026, 0, 15, 12))
  expect(formatClock(winter)).toMatch(/ 2026 \d{2}:\d{2}:\d{2} \S+$/)
})

test('seconds with a duration only where it adds something', () => {
  expect(formatSeconds(8)).toBe('8 s')
  expect(formatSeconds(3600)).toBe('3600 s (1 h 00 min)')
})
