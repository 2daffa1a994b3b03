import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, test} from 'vitest'
import {SEVERITY, sortFindings, summarize, finding} from '../../src/audit/codes.js'

const design = fileURLToPath(new URL('../../../shared/DESIGN.md', import.meta.url))

describe('finding codes', () => {
  // The contract lives in shared/DESIGN.md beside the repository (as in CI).
  test.skipIf(!existsSync(design))('every code of DESIGN.md has the severity the table gives', () => {
    const rows = [...readFileSync(design, 'utf8').matchAll(/^\| `([A-Z_]+)` \| (error|warning|info) \|/gm)].map((m) => [m[1], m[2]])
    expect(rows.length).toBeGreaterThan(20)
    for (const [code, severity] of rows) expect([code, SEVERITY[code as keyof typeof SEVERITY]]).toEqual([code, severity])
  })

  test('summary counts and stable order: errors first, then by code and subject', () => {
    const list = [finding('MX_DUPLICATE_PRIORITY', 'b', 'x'), finding('SPF_MISSING', 'a', 'x'), finding('NS_UNREACHABLE', 'z', 'x'), finding('MX_NULL_MIXED', 'a', 'x')]
    expect(sortFindings(list).map((f) => f.code)).toEqual(['MX_NULL_MIXED', 'NS_UNREACHABLE', 'SPF_MISSING', 'MX_DUPLICATE_PRIORITY'])
    expect(summarize(list)).toEqual({error: 2, warning: 1, info: 1})
  })
})
