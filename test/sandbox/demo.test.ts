import {describe, expect, it} from 'vitest'
import type {RehearsalReport} from '../../src/sandbox/report.js'
import {parseJson, runCli} from '../helpers/cli.js'

describe('mxcut demo', () => {
  it('rehearses the bundled example to the end, offline, showing the swap and the final state', {timeout: 150_000}, async () => {
    const r = await runCli(['demo'], {timeoutMs: 140_000})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/\[\d+\/\d+\] swap-mx Replace the MX RRset/)
    expect(r.stdout).toMatch(/Rehearsal of tailspin-toys\.example: completed/)
    expect(r.stdout).toMatch(/primary +serial \d+ +tailspin-toys\.example\. 3600 IN MX 0 tailspin-toys-example\.mail\.protection\.outlook\.com\./)
    expect(r.stdout).toMatch(/0 bounced/)
    expect(r.stderr).toBe('')
  })

  it('--json gives the rehearsal report', {timeout: 150_000}, async () => {
    const r = await runCli(['demo', '--json'], {timeoutMs: 140_000})
    expect(r.code, r.stderr).toBe(0)
    const {rehearsals} = parseJson<{rehearsals: RehearsalReport[]}>(r)
    expect(rehearsals).toHaveLength(1)
    expect(rehearsals[0]).toMatchObject({domain: 'tailspin-toys.example', outcome: 'done', problems: []})
    expect(rehearsals[0].steps.map((s) => s.status)).toEqual(rehearsals[0].steps.map(() => 'done'))
    // The plan's week-long soak passes in simulated time.
    expect(rehearsals[0].simulated.seconds).toBeGreaterThan(7 * 86400)
  })
})
