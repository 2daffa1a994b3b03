import {describe, expect, it} from 'vitest'
import {parseConfigText} from '../../src/plan/config.js'
import type {StartingState} from '../../src/sandbox/demo.js'
import {rehearse} from '../../src/sandbox/rehearse.js'

// Short TTLs keep the simulated run small; the sandbox's clock makes the waits free anyway.
const config = parseConfigText(
  `version: 1
domain: contoso.test
target:
  profile: microsoft365
  mx: ["0 contoso-test.mail.protection.outlook.com"]
  verification: MS=ms11112222
  autodiscover: false
  dkim: false
ttl: {lowered: 60, margin: 30}
cleanup: {enabled: false}
dns: {host: manual}
resolvers: [127.0.0.1]
`,
  'test config',
)

const start: StartingState = {
  zone: 'contoso.test',
  soa: {mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 60, ttl: 600},
  rrsets: [
    {name: 'contoso.test', type: 'MX', ttl: 600, records: [{priority: 10, exchange: 'mx1.legacy-mail.example'}]},
    {name: 'contoso.test', type: 'TXT', ttl: 600, records: ['v=spf1 include:spf.legacy-mail.example -all']},
    {name: '_dmarc.contoso.test', type: 'TXT', ttl: 600, records: ['v=DMARC1; p=none']},
  ],
}

// The runner gives verification the lowered TTL + margin + 300 s: a clamp of 240 s fits in it.
const resolvers = [
  {name: 'steady'},
  {name: 'clamping', behaviour: {minTtl: 240}, description: 'cache-min-ttl 240'},
  {name: 'slow', behaviour: {delayMs: 50}},
  {name: 'lossy', behaviour: {dropEvery: 4}},
  {name: 'secondary-first', behaviour: {prefer: 1}},
]

const lines: string[] = []
const write = (l: string) => void lines.push(l)

describe('rehearse against the sandbox (real runner, simulated clock)', () => {
  it('runs a replace cutover to the end with every resolver converged and no mail bounced', async () => {
    const {report, plan} = await rehearse({start, source: {kind: 'config', config, domain: 'contoso.test'}, resolvers, write, commandLine: 'mxcut rehearse test', secondaryLagMs: 20_000})
    expect(report.outcome).toBe('done')
    expect(plan.steps.every((s) => s.status === 'done')).toBe(true)
    expect(report.problems).toEqual([])
    // The wait before the swap covers the old TTL (600 s) plus margin: the swap cannot come sooner.
    expect(report.swapSeconds).toBeGreaterThanOrEqual(630)
    expect(report.final).toEqual([
      {server: 'primary', serial: expect.any(Number), mxTtl: 600, mx: ['0 contoso-test.mail.protection.outlook.com.']},
      {server: 'secondary', serial: report.final[0].serial, mxTtl: 600, mx: ['0 contoso-test.mail.protection.outlook.com.']},
    ])
    expect(report.secondary.lagSeconds).toBe(20)
    for (const r of report.resolvers) expect(r.convergedSeconds).not.toBeNull()
    // The clamping resolver (cache-min-ttl 240) kept the old MX longer than the 60 s published, and the report says so.
    const clamping = report.resolvers.find((r) => r.name === 'clamping')
    expect(clamping?.oldTtlAfterSwap).toBeGreaterThan(60)
    expect(report.notes.some((n) => n.startsWith('resolver clamping held the old MX'))).toBe(true)
    expect(report.mail.bounced).toBe(0)
    expect(report.mail.byHost.map((h) => [h.exchange, h.role])).toEqual(
      expect.arrayContaining([
        ['mx1.legacy-mail.example', 'source'],
        ['contoso-test.mail.protection.outlook.com', 'target'],
      ]),
    )
    expect(report.mail.messages).toBe(report.resolvers.length * Math.ceil(report.simulated.seconds / 60))
    // The step log is the runner's own, stamped with simulated clock times.
    expect(lines.some((l) => /\[\d+\/\d+\] swap-mx/.test(l))).toBe(true)
  })

  it('reports what would go wrong: a resolver that clamps beyond the verification budget stops the run', async () => {
    const {report} = await rehearse({
      start,
      source: {kind: 'config', config, domain: 'contoso.test'},
      resolvers: [{name: 'steady'}, {name: 'day-long', behaviour: {minTtl: 86400}, description: 'cache-min-ttl 86400'}],
      write: () => undefined,
      commandLine: 'mxcut rehearse test',
    })
    expect(report.outcome).toBe('failed')
    expect(report.steps.find((s) => s.id === 'verify-propagation')?.status).toBe('failed')
    expect(report.resolvers.find((r) => r.name === 'day-long')?.convergedSeconds).toBeNull()
    expect(report.problems[0]).toMatch(/^the run stopped \(failed at verify-propagation\)/)
  })

  it('a plan that swaps before the target is verified bounces mail at the target', async () => {
    const first = await rehearse({start, source: {kind: 'config', config, domain: 'contoso.test'}, resolvers, write: () => undefined, commandLine: 'x'})
    // Someone edits the plan and drops the early publication of the verification TXT.
    const edited = structuredClone(first.plan)
    edited.steps = edited.steps.filter((s) => s.id !== 'publish-companions')
    edited.findings = edited.findings.filter((f) => f.severity !== 'error')
    for (const s of edited.steps) s.waitFor = s.waitFor?.filter((w) => w.after !== 'publish-companions')
    // The pre-flight audits the sandbox again and sees that no step publishes the verification TXT now.
    const stopped = await rehearse({start, source: {kind: 'plan', plan: edited}, resolvers, write: () => undefined, commandLine: 'x'})
    expect(stopped.report.outcome).toBe('failed')
    expect(stopped.plan.steps.find((s) => s.id === 'preflight')?.error).toMatch(/no later step handles: TARGET_VERIFICATION_MISSING/)
    expect(stopped.report.mail.bounced).toBe(0)
    // Made without the audit, the same plan still stops: right before the swap the target is probed, and it refuses the domain.
    if (edited.preflight) edited.preflight.audit = false
    const probed = await rehearse({start, source: {kind: 'plan', plan: edited}, resolvers, write: () => undefined, commandLine: 'x'})
    expect(probed.report.outcome).toBe('failed')
    expect(probed.plan.steps.find((s) => s.id === 'probe-before-swap')?.error).toMatch(/the target refuses mail for contoso\.test: .*before the domain is verified/)
    expect(probed.plan.steps.find((s) => s.id === 'swap-mx')?.status).toBe('pending')
    expect(probed.report.mail.bounced).toBe(0)
    // Without the probe too, the plan runs, and the rehearsal shows what that costs.
    edited.steps = edited.steps.filter((s) => s.id !== 'probe-before-swap')
    const {report} = await rehearse({start, source: {kind: 'plan', plan: edited}, resolvers, write: () => undefined, commandLine: 'x'})
    expect(report.outcome).toBe('done')
    expect(report.mail.bounced).toBeGreaterThan(0)
    expect(report.mail.bounces.every((b) => b.exchange === 'contoso-test.mail.protection.outlook.com' && /before the domain is verified/.test(b.reason))).toBe(true)
    expect(report.problems.length).toBeGreaterThan(0)
    expect(report.problems[0]).toMatch(/bounced: the target does not accept mail for contoso.test before the domain is verified/)
  })
})
