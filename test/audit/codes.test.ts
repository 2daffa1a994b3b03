import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, test} from 'vitest'
import {SEVERITY, sortFindings, summarize, finding} from '../../src/audit/codes.js'

const readme = fileURLToPath(new URL('../../README.md', import.meta.url))

describe('finding codes', () => {
  // Users read the codes in the README: its table and the code agree, both ways.
  test('the README lists every code with the severity the code gives it, and no other', () => {
    const rows = [...readFileSync(readme, 'utf8').matchAll(/^\| `([A-Z_]+)` \| ([a-z ,]+?) \|/gm)].map((m) => [m[1], m[2]])
    expect(rows.length).toBeGreaterThan(20)
    expect(Object.fromEntries(rows)).toEqual(SEVERITY)
  })

  test('summary counts and stable order: errors first, then by code and subject', () => {
    const list = [finding('MX_DUPLICATE_PRIORITY', 'b', 'x'), finding('SPF_MISSING', 'a', 'x'), finding('NS_UNREACHABLE', 'z', 'x'), finding('MX_NULL_MIXED', 'a', 'x')]
    expect(sortFindings(list).map((f) => f.code)).toEqual(['MX_NULL_MIXED', 'NS_UNREACHABLE', 'SPF_MISSING', 'MX_DUPLICATE_PRIORITY'])
    expect(summarize(list)).toEqual({error: 2, warning: 1, info: 1})
  })
})
