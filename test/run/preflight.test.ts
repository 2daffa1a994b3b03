import {describe, expect, test} from 'vitest'
import type {Finding} from '../../src/audit/types.js'
import type {DnsClient, QueryResult} from '../../src/dns/client.js'
import type {DnsHost} from '../../src/hosts/types.js'
import {planStateSchema, type PlanState, type PreflightSettings} from '../../src/state/schema.js'
import {memoryJournal} from '../../src/run/journal.js'
import {runPlan} from '../../src/run/runner.js'
import type {AuditInput, RunnerDeps} from '../../src/run/types.js'
import type {AuthServer} from '../../src/zone/discover.js'
import {handPlan} from './fixtures.js'

/**
 * The pre-flight with a fake audit: two "servers" that agree on a serial,
 * a host that must never be called, and findings chosen per test. The same
 * step against BIND is in test/lab/run-preflight.test.ts.
 */

const SETTINGS: PreflightSettings = {audit: true, target: {profile: 'microsoft365', verification: 'MS=ms123'}, source: null, smtp: false}

const spfMultiple: Finding = {code: 'SPF_MULTIPLE', severity: 'error', subject: 'contoso.test TXT (SPF)', message: 'contoso.test publishes 2 SPF records; merge them into one.'}
const verificationMissing: Finding = {code: 'TARGET_VERIFICATION_MISSING', severity: 'error', subject: 'contoso.test TXT (microsoft365 verification)', message: 'publish MS=ms123.'}
const dmarcMissing: Finding = {code: 'DMARC_MISSING', severity: 'warning', subject: '_dmarc.contoso.test TXT', message: 'publish a DMARC policy.'}

/** handPlan with a publish-companions step that says it publishes the verification TXT. */
function planWithCompanions(overrides: Partial<PlanState> = {}): PlanState {
  const plan = handPlan({preflight: SETTINGS, ...overrides})
  plan.steps.splice(1, 0, {
    id: 'publish-companions',
    kind: 'dns-change',
    title: 'Publish the records the target needs beside MX',
    status: 'pending',
    changes: [{name: 'contoso.test', type: 'TXT', before: null, after: {name: 'contoso.test', type: 'TXT', ttl: 60, records: ['MS=ms123']}}],
    handles: ['TARGET_VERIFICATION_MISSING'],
  })
  return plan
}

function world(findings: Finding[] | (() => Promise<Finding[]>), serials: [number, number] = [7, 7]) {
  const calls: AuditInput[] = []
  const applied: unknown[] = []
  const host: DnsHost = {
    name: 'fake',
    atomic: true,
    async read() {
      return null
    },
    async apply(changes) {
      applied.push(changes)
    },
  }
  const servers: AuthServer[] = [
    {kind: 'dns', address: '127.0.0.1', port: 53, name: 'ns1', host: 'ns1'},
    {kind: 'dns', address: '127.0.0.2', port: 53, name: 'ns2', host: 'ns2'},
  ]
  const client: DnsClient = {
    async query(server, name, type): Promise<QueryResult> {
      const base = {server, name, type, rcode: 'NOERROR', aa: true, ra: false, authorities: [], additionals: [], transport: 'udp' as const, rttMs: 1}
      const serial = serials[servers.findIndex((s) => s.address === (server as AuthServer).address)]
      if (type === 'SOA') return {...base, status: 'ok', answers: [{name: 'contoso.test', type: 'SOA', ttl: 60, data: {mname: 'ns1', rname: 'h', serial, refresh: 1, retry: 1, expire: 1, minimum: 1}}]}
      return {...base, status: 'nodata', answers: []}
    },
  }
  const lines: string[] = []
  const saved: PlanState[] = []
  const deps: RunnerDeps = {
    host,
    client,
    authServers: servers,
    clock: {now: () => Date.parse('2025-01-03T00:00:00Z'), sleep: async () => undefined},
    ui: {step: (s) => lines.push(`step ${s.id}`), info: (l) => lines.push(l), ok: (l) => lines.push(l), warn: (l) => lines.push(l), countdown: async (_t, _d, _n, w) => w},
    prompter: null,
    verify: async () => {
      throw new Error('verify must not run')
    },
    audit: async (input) => {
      calls.push(input)
      return typeof findings === 'function' ? findings() : findings
    },
    save: async (p) => {
      saved.push(structuredClone(p))
    },
    journal: memoryJournal(() => 0),
  }
  return {deps, calls, applied, lines, saved}
}

const run = (plan: PlanState, deps: RunnerDeps) => runPlan(plan, deps, {yes: true, until: 'preflight', resumeCommand: 'mxcut resume p.json'})
const preflightOf = (plan: PlanState) => plan.steps.find((s) => s.id === 'preflight')

describe('pre-flight audits again at run time', () => {
  test('an error found now and handled by no later step stops the plan, naming it and what to do; nothing is changed', async () => {
    const w = world([spfMultiple, dmarcMissing])
    const {outcome, plan} = await run(planWithCompanions(), w.deps)
    expect(outcome.kind).toBe('failed')
    const message = (outcome as {message: string}).message
    expect(message.split('\n')[0]).toBe('pre-flight: the audit found 1 error that no later step handles: SPF_MULTIPLE (contoso.test TXT (SPF))')
    expect(message).toMatch(/SPF_MULTIPLE contoso\.test TXT \(SPF\) \(new since the plan was made\): contoso\.test publishes 2 SPF records; merge them into one\./)
    expect(message).toMatch(/nothing was changed; fix it, then run again: mxcut resume p\.json$/)
    // The audit ran with what the plan recorded.
    expect(w.calls).toEqual([{domain: 'contoso.test', settings: SETTINGS}])
    expect(w.applied).toEqual([])
    const step = preflightOf(plan)
    expect(step?.status).toBe('failed')
    expect(step?.error).toMatch(/^pre-flight: the audit found 1 error/)
    // Every state written is a valid plan file, with the step still to do on the next run.
    for (const p of w.saved) expect(planStateSchema.safeParse(p).success).toBe(true)
    expect(w.saved.at(-1)?.steps.find((s) => s.id === 'preflight')?.status).toBe('failed')
  })

  test('a finding recorded at planning time that is gone now no longer stops the plan; live findings are the evidence', async () => {
    const w = world([dmarcMissing])
    const {outcome, plan} = await run(planWithCompanions({findings: [spfMultiple]}), w.deps)
    expect(outcome).toEqual({kind: 'until', step: 'preflight'})
    const step = preflightOf(plan)
    expect(step?.status).toBe('done')
    expect(step?.evidence).toMatchObject({
      servers: [{server: '127.0.0.1', serial: 7}, {server: '127.0.0.2', serial: 7}],
      audit: {source: 'live', findings: [{code: 'DMARC_MISSING', severity: 'warning'}], handled: [], blocking: []},
    })
    expect(w.lines).toContain('preflight: audit: no errors, 1 warning (DMARC_MISSING); 2 authoritative servers agree on serial 7')
  })

  test('an error a later step handles (the step says so) does not stop the plan, and is shown as handled', async () => {
    const w = world([verificationMissing])
    const {outcome, plan} = await run(planWithCompanions(), w.deps)
    expect(outcome).toEqual({kind: 'until', step: 'preflight'})
    expect(w.lines).toContain('TARGET_VERIFICATION_MISSING (contoso.test TXT (microsoft365 verification)): handled by publish-companions')
    expect(preflightOf(plan)?.evidence).toMatchObject({audit: {handled: [{code: 'TARGET_VERIFICATION_MISSING', step: 'publish-companions'}], blocking: []}})
  })

  test('a handling step that is already done, or a plan without one, no longer covers the error', async () => {
    // Staged plans probe the target with an audit step after the companions are published.
    const staged = planWithCompanions()
    const [audit, companions, ...rest] = staged.steps
    staged.steps = [{...companions, status: 'done', finishedAt: '2025-01-02T00:00:00.000Z'}, {...audit, id: 'probe-target', title: 'Probe the target MX'}, ...rest]
    const r1 = await runPlan(staged, world([verificationMissing]).deps, {yes: true, until: 'probe-target', resumeCommand: 'r'})
    expect(r1.outcome).toMatchObject({kind: 'failed', step: 'probe-target', message: expect.stringMatching(/no later step handles: TARGET_VERIFICATION_MISSING/)})

    const none = handPlan({preflight: SETTINGS})
    const r2 = await run(none, world([verificationMissing]).deps)
    expect(r2.outcome).toMatchObject({kind: 'failed', message: expect.stringMatching(/no later step handles: TARGET_VERIFICATION_MISSING/)})
  })

  test('a plan made without the audit checks the servers only; the audit is not run', async () => {
    const w = world([spfMultiple])
    const {outcome, plan} = await run(planWithCompanions({preflight: {...SETTINGS, audit: false}}), w.deps)
    expect(outcome).toEqual({kind: 'until', step: 'preflight'})
    expect(w.calls).toEqual([])
    expect(preflightOf(plan)?.evidence).toMatchObject({audit: {source: 'none', findings: []}})
    expect(w.lines.at(-1)).toBe('preflight: no audit (the plan was made with --no-audit); 2 authoritative servers agree on serial 7')
  })

  test('servers that disagree stop the plan before the audit runs', async () => {
    const w = world([], [7, 6])
    const {outcome} = await run(planWithCompanions(), w.deps)
    expect(outcome).toMatchObject({kind: 'failed', message: expect.stringMatching(/different SOA serials \(127\.0\.0\.1 7, 127\.0\.0\.2 6\)/)})
    expect(w.calls).toEqual([])
  })

  test('an audit that cannot run stops the plan with its reason', async () => {
    const w = world(async () => {
      throw new Error('resolver 127.0.0.9 refused')
    })
    const {outcome} = await run(planWithCompanions(), w.deps)
    expect(outcome).toMatchObject({kind: 'failed', message: 'pre-flight: the audit could not run (resolver 127.0.0.9 refused); nothing was changed; try again with: mxcut resume p.json'})
    const without = world([])
    delete without.deps.audit
    expect((await run(planWithCompanions(), without.deps)).outcome).toMatchObject({kind: 'failed', message: expect.stringMatching(/no audit to run/)})
  })

  test('a plan file from before the pre-flight settings: the findings recorded at planning time, with the old list of handled codes', async () => {
    const legacy = planWithCompanions({findings: [verificationMissing]})
    delete legacy.preflight
    for (const s of legacy.steps) delete s.handles
    const w = world([spfMultiple])
    expect((await run(legacy, w.deps)).outcome).toEqual({kind: 'until', step: 'preflight'})
    expect(w.calls).toEqual([])
    const blocked = await run({...legacy, findings: [verificationMissing, spfMultiple]}, w.deps)
    expect(blocked.outcome).toMatchObject({kind: 'failed', message: expect.stringMatching(/^pre-flight: the audit made with the plan found 1 error that no later step handles: SPF_MULTIPLE[^]*make a new plan$/)})
  })
})

test('one authoritative server: "the 1 authoritative server serves serial 7", not "1 authoritative server agree"', async () => {
  const w = world([dmarcMissing])
  w.deps.authServers = w.deps.authServers.slice(0, 1)
  const {outcome} = await run(planWithCompanions({findings: []}), w.deps)
  expect(outcome).toEqual({kind: 'until', step: 'preflight'})
  expect(w.lines).toContain('preflight: audit: no errors, 1 warning (DMARC_MISSING); the 1 authoritative server serves serial 7')
})
