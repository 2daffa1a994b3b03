import {describe, expect, test} from 'vitest'
import type {DnsClient, QueryResult} from '../../src/dns/client.js'
import type {DnsHost, RecordChange} from '../../src/hosts/types.js'
import type {PlanState} from '../../src/state/schema.js'
import {memoryJournal} from '../../src/run/journal.js'
import {rollbackPlan} from '../../src/run/rollback.js'
import {runPlan} from '../../src/run/runner.js'
import {planStatus} from '../../src/run/status.js'
import type {CheckpointAnswer, Clock, RunnerDeps, RunnerUi} from '../../src/run/types.js'
import type {AuthServer} from '../../src/zone/discover.js'
import type {RecordData} from '../../src/zone/rrset.js'
import {handPlan} from './fixtures.js'

/**
 * The runner's logic with injected effects: an in-memory zone served by two
 * "servers", a host that edits it, a simulated clock. The same runner runs
 * against BIND in test/lab/run*.test.ts.
 */
interface Zone {
  serial: number
  sets: Map<string, {ttl: number; records: RecordData[]}>
}

function fakeWorld(startMs = Date.parse('2025-01-01T00:00:00Z')) {
  const zone: Zone = {serial: 1, sets: new Map([['contoso.test MX', {ttl: 8, records: [{priority: 10, exchange: 'mail.contoso.test'}]}]])}
  let t = startMs
  const sleeps: number[] = []
  const clock: Clock = {
    now: () => t,
    async sleep(ms, signal) {
      if (signal?.aborted) return
      sleeps.push(ms)
      t += ms
    },
  }
  const applied: RecordChange[][] = []
  const host: DnsHost = {
    name: 'fake',
    atomic: true,
    async read() {
      return null
    },
    async apply(changes) {
      applied.push(changes)
      for (const c of changes) {
        if (c.action === 'delete') zone.sets.delete(`${c.name} ${c.type}`)
        else zone.sets.set(`${c.name} ${c.type}`, {ttl: c.ttl, records: c.records})
      }
      zone.serial++
    },
  }
  const client: DnsClient = {
    async query(server, name, type): Promise<QueryResult> {
      const base = {server, name, type, rcode: 'NOERROR', aa: true, ra: false, authorities: [], additionals: [], transport: 'udp' as const, rttMs: 1}
      if (type === 'SOA') return {...base, status: 'ok', answers: [{name: 'contoso.test', type: 'SOA', ttl: 60, data: {mname: 'ns1', rname: 'h', serial: zone.serial, refresh: 1, retry: 1, expire: 1, minimum: 1}}]}
      const set = zone.sets.get(`${name} ${type}`)
      if (!set) return {...base, status: 'nodata', answers: []}
      return {...base, status: 'ok', answers: set.records.map((data) => ({name, type, ttl: set.ttl, data}) as QueryResult['answers'][number])}
    },
  }
  const lines: string[] = []
  const ui: RunnerUi = {
    step: (s) => lines.push(`step ${s.id}`),
    info: (l) => lines.push(l),
    ok: (l) => lines.push(l),
    warn: (l) => lines.push(l),
    countdown: async (_title, _due, _now, waiting) => waiting,
  }
  const servers: AuthServer[] = [
    {kind: 'dns', address: '127.0.0.1', port: 53, name: 'ns1', host: 'ns1'},
    {kind: 'dns', address: '127.0.0.2', port: 53, name: 'ns2', host: 'ns2'},
  ]
  const saved: PlanState[] = []
  const journal = memoryJournal(clock.now)
  const deps = (extra: Partial<RunnerDeps> = {}): RunnerDeps => ({
    host,
    client,
    authServers: servers,
    clock,
    ui,
    prompter: null,
    verify: async () => ({converged: true, timedOut: false, aborted: false, summary: 'converged', pending: [], evidence: {}}),
    save: async (p) => {
      saved.push(structuredClone(p))
    },
    journal,
    ...extra,
  })
  return {zone, clock, host, applied, lines, sleeps, saved, journal, deps, advance: (ms: number) => (t += ms)}
}

const answers = (...list: CheckpointAnswer[]) => ({
  asked: [] as string[],
  async choose(message: string) {
    this.asked.push(message)
    const a = list.shift()
    if (!a) throw new Error('no answer left')
    return a
  },
})

describe('runner', () => {
  test('runs a plan end to end; the wait lasts exactly old TTL + margin after the lowered TTL was served', async () => {
    const w = fakeWorld()
    const {outcome, plan} = await runPlan(handPlan(), w.deps(), {yes: true, resumeCommand: 'mxcut resume p'})
    expect(outcome).toEqual({kind: 'done'})
    expect(w.applied.map((c) => c.map((x) => (x.action === 'replace' ? `${x.ttl} ${JSON.stringify(x.records)}` : 'delete')))).toEqual([
      ['2 [{"priority":10,"exchange":"mail.contoso.test"}]'],
      ['2 [{"priority":0,"exchange":"contoso-test.mail.protection.outlook.test"}]'],
      ['8 [{"priority":0,"exchange":"contoso-test.mail.protection.outlook.test"}]'],
    ])
    // Each change carries the before-state so hosts with prerequisites refuse a moved zone.
    expect(w.applied[1][0]).toMatchObject({expect: {ttl: 2, records: [{priority: 10, exchange: 'mail.contoso.test'}]}})
    const lower = plan.steps.find((s) => s.id === 'lower-ttl')
    const wait = plan.steps.find((s) => s.id === 'wait-old-ttl')
    expect(Date.parse(wait?.finishedAt ?? '') - Date.parse(lower?.finishedAt ?? '')).toBe(9000)
    expect(planStatus(plan, {planPath: 'p', lock: null, now: w.clock.now(), resumeCommand: 'x'}).state).toBe('done')
  })

  test('a second run of a finished step changes nothing (idempotent)', async () => {
    const w = fakeWorld()
    const first = await runPlan(handPlan(), w.deps(), {yes: true, until: 'lower-ttl', resumeCommand: 'r'})
    expect(first.outcome).toEqual({kind: 'until', step: 'lower-ttl'})
    // The state file lost the step (crash before the write): live DNS shows it done, so no second UPDATE.
    const replay = structuredClone(first.plan)
    replay.steps[1].status = 'running'
    const again = await runPlan(replay, w.deps(), {yes: true, until: 'lower-ttl', resumeCommand: 'r'})
    expect(again.outcome.kind).toBe('until')
    expect(w.applied).toHaveLength(1)
    expect(w.journal.entries.some((e) => e.event === 'already-applied' && e.step === 'lower-ttl')).toBe(true)
  })

  test('--detach stops at a wait with its due time; --if-due does nothing before it and runs after it', async () => {
    const w = fakeWorld()
    const detached = await runPlan(handPlan(), w.deps(), {yes: true, detach: true, resumeCommand: 'r'})
    expect(detached.outcome).toMatchObject({kind: 'detached', step: 'wait-old-ttl'})
    const due = (detached.outcome as {due: number}).due
    expect(planStatus(detached.plan, {planPath: 'p', lock: null, now: w.clock.now(), resumeCommand: 'r'})).toMatchObject({state: 'waiting', next: {id: 'wait-old-ttl', due: new Date(due).toISOString()}})
    w.advance(due - w.clock.now() - 1)
    const early = await runPlan(detached.plan, w.deps(), {yes: true, ifDue: true, resume: true, resumeCommand: 'r'})
    expect(early.outcome).toMatchObject({kind: 'not-due'})
    w.advance(1)
    const late = await runPlan(detached.plan, w.deps(), {yes: true, ifDue: true, resume: true, resumeCommand: 'r'})
    expect(late.outcome).toEqual({kind: 'done'})
    expect(w.sleeps.every((ms) => ms < 1000)).toBe(true)
  })

  test('an interrupt during the wait pauses; the wait is never cut short', async () => {
    const w = fakeWorld()
    const ac = new AbortController()
    const deps = w.deps({interrupt: ac.signal})
    deps.clock = {now: w.clock.now, sleep: async (ms) => {
      w.advance(Math.min(ms, 4000))
      ac.abort()
    }}
    const r = await runPlan(handPlan(), deps, {yes: true, resumeCommand: 'r'})
    expect(r.outcome).toMatchObject({kind: 'paused', step: 'wait-old-ttl'})
    expect(r.plan.pausedAt).toBeDefined()
    expect(r.plan.steps.find((s) => s.id === 'wait-old-ttl')?.status).toBe('running')
    expect(planStatus(r.plan, {planPath: 'p', lock: null, now: w.clock.now(), resumeCommand: 'r'}).state).toBe('paused')
  })

  test('checkpoint: no terminal and no --yes is an exit-2 error naming --yes; nothing after it runs', async () => {
    const w = fakeWorld()
    const deps = w.deps()
    await expect(runPlan(handPlan({steps: handPlan().steps.filter((s) => s.kind !== 'wait')}), deps, {resumeCommand: 'mxcut resume p'})).rejects.toThrow(/checkpoint confirm-swap needs a person.*--yes/)
    expect(w.applied).toHaveLength(1)
  })

  test('checkpoint answers: diff shows the live state and asks again; abort stops; rollback is offered only after the swap', async () => {
    const w = fakeWorld()
    const steps = handPlan().steps.filter((s) => s.kind !== 'wait')
    const p1 = answers('diff', 'abort')
    const r1 = await runPlan(handPlan({steps}), w.deps({prompter: p1}), {resumeCommand: 'r'})
    expect(r1.outcome).toEqual({kind: 'aborted', step: 'confirm-swap'})
    expect(p1.asked).toHaveLength(2)
    expect(w.lines.some((l) => /now on ns1 \(127\.0\.0\.1\): TTL 2, as before the change/.test(l))).toBe(true)
    expect(w.applied).toHaveLength(1)

    const choices: string[][] = []
    const p2 = {
      async choose(_m: string, c: Array<{value: CheckpointAnswer}>) {
        choices.push(c.map((x) => x.value))
        return choices.length === 1 ? ('continue' as const) : ('rollback' as const)
      },
    }
    const r2 = await runPlan(r1.plan, w.deps({prompter: p2}), {resumeCommand: 'r'})
    expect(choices[0]).not.toContain('rollback')
    expect(choices[1]).toContain('rollback')
    expect(r2.outcome).toEqual({kind: 'rolled-back'})
    expect(w.zone.sets.get('contoso.test MX')).toEqual({ttl: 8, records: [{priority: 10, exchange: 'mail.contoso.test'}]})
    expect(planStatus(r2.plan, {planPath: 'p', lock: null, now: w.clock.now(), resumeCommand: 'r'}).state).toBe('rolled-back')
  })

  test('drift before a change: stop, explain, change nothing', async () => {
    const w = fakeWorld()
    w.zone.sets.set('contoso.test MX', {ttl: 8, records: [{priority: 5, exchange: 'other.example'}]})
    const r = await runPlan(handPlan(), w.deps(), {yes: true, resumeCommand: 'r'})
    expect(r.outcome.kind).toBe('drift')
    expect((r.outcome as {message: string}).message).toMatch(/actual: +contoso\.test\. 8 IN MX 5 other\.example\./)
    expect(w.applied).toHaveLength(0)
  })

  test('a plan file that joined the strings of a TXT record (older mxcut) meets the split record: drift that says to plan again, nothing sent', async () => {
    const w = fakeWorld()
    const split = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all']
    w.zone.sets.set('contoso.test TXT', {ttl: 60, records: [split]})
    const txt = (records: RecordData[]) => ({name: 'contoso.test', type: 'TXT', ttl: 60, records})
    const plan = handPlan()
    plan.steps.splice(1, 0, {id: 'publish-companions', kind: 'dns-change', title: 'Publish companions', status: 'pending', changes: [{name: 'contoso.test', type: 'TXT', before: txt([split.join('')]), after: txt(['v=spf1 mx include:spf.a.test include:spf.b.test include:spf.t.test -all'])}]})
    const r = await runPlan(plan, w.deps(), {yes: true, resumeCommand: 'r'})
    expect(r.outcome.kind).toBe('drift')
    const message = (r.outcome as {message: string}).message
    expect(message).toMatch(/actual: +contoso\.test\. 60 IN TXT "v=spf1 mx include:spf\.a\.test " "include:spf\.b\.test -all"/)
    expect(message).toMatch(/same text in other character-strings than this plan file records .*make the plan again with mxcut plan$/)
    expect(w.applied).toHaveLength(0)
    // Another edit of the record is still someone else's change.
    w.zone.sets.set('contoso.test TXT', {ttl: 60, records: ['v=spf1 -all']})
    const other = await runPlan(plan, w.deps(), {yes: true, resumeCommand: 'r'})
    expect((other.outcome as {message: string}).message).toMatch(/find out who edited these records/)
  })

  test('rollback refuses when nothing was changed', async () => {
    const w = fakeWorld()
    await expect(rollbackPlan(handPlan(), w.deps(), {resumeCommand: 'r'})).rejects.toThrow(/nothing to roll back/)
  })
})
