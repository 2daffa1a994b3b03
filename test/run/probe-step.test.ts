import {describe, expect, test} from 'vitest'
import type {AddressProbeJson} from '../../src/audit/mx-probe.js'
import {memoryJournal} from '../../src/run/journal.js'
import {probeStep} from '../../src/run/steps/probe.js'
import type {ProbeMxFn, RunnerDeps, RunnerUi} from '../../src/run/types.js'
import type {PlanState, Step} from '../../src/state/schema.js'
import {handPlan} from './fixtures.js'

/** The smtp-probe step's decisions with the probe faked (the lab crosses the wire: test/lab/mail-continuity.test.ts). */
const NOW = Date.parse('2025-01-01T10:00:00Z')

function row(exchange: string, result: AddressProbeJson['result'], reply: string): AddressProbeJson {
  return {priority: 10, exchange, address: '192.0.2.1', result, stage: 'rcpt', reply, starttls: true, certificateMatches: true}
}

function run(step: Step, probe: ProbeMxFn | undefined, plan: PlanState = handPlan()) {
  const lines: string[] = []
  const ui: RunnerUi = {step: () => undefined, info: (l) => lines.push(`info ${l}`), ok: (l) => lines.push(`ok ${l}`), warn: (l) => lines.push(`warn ${l}`), countdown: async (_t, _d, _n, w) => w}
  const journal = memoryJournal(() => NOW)
  const deps = {ui, journal, clock: {now: () => NOW, sleep: async () => undefined}, ...(probe ? {probeMx: probe} : {})} as unknown as RunnerDeps
  return {lines, journal, result: probeStep({plan, step, sequence: plan.steps, index: 0, deps, options: {resumeCommand: 'mxcut resume p.json'}})}
}

const target: Step = {id: 'probe-before-swap', kind: 'smtp-probe', title: 'Probe the target MX', status: 'running', probe: {role: 'target', hosts: [{priority: 0, exchange: 'mx.target.test'}], onRefusal: 'stop'}}
const source: Step = {id: 'probe-source', kind: 'smtp-probe', title: 'Probe the source MX', status: 'running', probe: {role: 'source', hosts: [{priority: 10, exchange: 'mail.contoso.test'}], onRefusal: 'warn'}}

describe('smtp-probe steps', () => {
  test('a target that refuses the domain fails the step, naming the host, its reply and the resume command', async () => {
    const {result, journal} = run(target, async () => [{priority: 0, exchange: 'mx.target.test', addresses: [row('mx.target.test', 'bounce', '550 5.1.1 unknown domain')]}])
    expect(await result).toEqual({kind: 'failed', message: expect.stringMatching(/^probe-before-swap: the target refuses mail for contoso\.test: mx\.target\.test \(192\.0\.2\.1\): 550 5\.1\.1 unknown domain; .*then: mxcut resume p\.json$/)})
    expect(journal.entries.find((e) => e.event === 'smtp-probe')).toMatchObject({role: 'target', refused: ['mx.target.test 192.0.2.1']})
  })

  test('a target that cannot be tested from here, or has no address, is a warning and the run goes on', async () => {
    const {result, lines} = run(target, async () => [
      {priority: 0, exchange: 'mx.target.test', addresses: [row('mx.target.test', 'unreachable', 'connect ECONNREFUSED')]},
      {priority: 5, exchange: 'gone.target.test', addresses: [], unresolved: {definite: true, message: 'gone.target.test does not exist (NXDOMAIN from r)'}},
    ])
    expect(await result).toMatchObject({kind: 'done', summary: '0 of 1 target address accept RCPT TO:<postmaster@contoso.test>; 1 could not be tested from here; 1 host has no address'})
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(/gone\.target\.test does not exist .*senders cannot deliver to it after the swap/),
      expect.stringMatching(/not every target address could be tested from here/),
    ])
  })

  test('a source that refuses mail after the swap is said loudly, with until when it must accept; the run goes on', async () => {
    const plan = handPlan()
    for (const s of plan.steps.slice(0, 6)) {
      s.status = 'done'
      s.finishedAt = new Date(NOW - 1000).toISOString()
    }
    const {result, lines} = run(source, async () => [{priority: 10, exchange: 'mail.contoso.test', addresses: [row('mail.contoso.test', 'bounce', '554 5.7.1 Relay access denied')]}], plan)
    expect(await result).toMatchObject({kind: 'done', summary: expect.stringMatching(/^1 of 1 source address refuse mail for contoso\.test; keep it accepting mail until \w{3} 1 Jan 2025 10:00:02/)})
    expect(lines.find((l) => l.startsWith('warn'))).toMatch(/the source refuses mail for contoso\.test .* while resolvers may still send senders to it until/)
  })

  test('without a probe (an old runner) the step stops before anything changes', async () => {
    expect(await run(target, undefined).result).toMatchObject({kind: 'failed', message: expect.stringMatching(/cannot probe SMTP; nothing was changed/)})
  })
})
