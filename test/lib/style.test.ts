import {afterEach, expect, test} from 'vitest'
import {bold, colorEnabled, table, visibleLength} from '../../src/lib/style.js'

const saved = {...process.env}
afterEach(() => {
  process.env = {...saved}
})

test('no colour when NO_COLOR is set or stdout is not a terminal', () => {
  const tty = {isTTY: true} as NodeJS.WriteStream
  delete process.env.NO_COLOR
  process.env.TERM = 'xterm'
  expect(colorEnabled(tty)).toBe(true)
  expect(colorEnabled({isTTY: false} as NodeJS.WriteStream)).toBe(false)
  process.env.NO_COLOR = ''
  expect(colorEnabled(tty)).toBe(false)
  delete process.env.NO_COLOR
  process.env.TERM = 'dumb'
  expect(colorEnabled(tty)).toBe(false)
})

test('tables align on visible width', () => {
  process.env.NO_COLOR = '1'
  expect(bold('x')).toBe('x')
  expect(visibleLength('\u001B[31mred\u001B[39m')).toBe(3)
  expect(table(['A', 'BB'], [['xxx', 'y'], ['z', 'w']]).split('\n')).toEqual(['A    BB', 'xxx  y', 'z    w'])
})
