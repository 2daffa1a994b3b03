import {expect, test} from 'vitest'
import {parseWait} from '../../src/verify/duration.js'

test('watch timeouts as people write them', () => {
  expect(parseWait('600')).toBe(600_000)
  expect(parseWait('90s')).toBe(90_000)
  expect(parseWait('15m')).toBe(900_000)
  expect(parseWait('15min')).toBe(900_000)
  expect(parseWait('1h30m')).toBe(5_400_000)
  expect(parseWait('1h 30m')).toBe(5_400_000)
  for (const bad of ['', 'soon', '10x', '5m later', '-5']) expect(() => parseWait(bad), bad).toThrow(/is not a duration/)
})
