import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {signMessage} from '../../src/dns/tsig.js'
import {buildUpdateMessage, sendUpdate} from '../../src/dns/update.js'
import {createSimClock, startSandbox, type Sandbox} from '../../src/sandbox/index.js'
import {startSenders, type Readiness} from '../../src/sandbox/mail.js'
import {createZone} from '../../src/sandbox/zone.js'

const SOA = {mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 300}
const OLD = 'mx.legacy.example'
const NEW = 'contoso-test.mail.protection.outlook.com'

describe('mail continuity: senders behind sandbox resolvers', () => {
  let sandbox: Sandbox

  beforeAll(async () => {
    sandbox = await startSandbox({
      clock: createSimClock({start: 0}),
      zones: [createZone('contoso.test', {ttl: 3600, data: SOA}, [{name: 'contoso.test', type: 'MX', ttl: 600, records: [{priority: 10, exchange: OLD}]}])],
      resolvers: [{name: 'steady'}, {name: 'clamping', behaviour: {minTtl: 3600}}],
      secondaryLagMs: 60_000,
    })
  })
  afterAll(() => sandbox?.close())

  async function swap() {
    const msg = buildUpdateMessage('contoso.test', [], [
      {name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0},
      {name: 'contoso.test', type: 'MX', class: 'IN', ttl: 600, data: {priority: 0, exchange: NEW}},
    ])
    await sendUpdate(sandbox.primary.server, signMessage(msg, sandbox.tsig).message)
  }

  it('counts messages per host, minute by minute, and bounces the ones that reach a host not ready', async () => {
    const clock = sandbox.clock
    let decommissionedAt: number | null = null
    const readiness: Readiness = {
      role: (x) => (x === OLD ? 'source' : x === NEW ? 'target' : 'other'),
      refuses(x, at) {
        if (x === NEW && at < 30 * 60_000) return 'target not verified yet'
        if (x === OLD && decommissionedAt !== null && at >= decommissionedAt) return 'source switched off'
        return null
      },
    }
    const senders = startSenders({clock, domain: 'contoso.test', resolvers: sandbox.resolvers, readiness})
    const runner = clock.actor('runner')
    // Swap at 40 min; switch the source off 10 min later: the steady cache (600 s) has moved on,
    // the clamping one (3600 s, refreshed at t=0) still sends to the old host until t=60 min.
    await runner.sleep(40 * 60_000)
    await swap()
    await runner.sleep(10 * 60_000)
    decommissionedAt = clock.now()
    await runner.sleep(70 * 60_000)
    runner.done()
    const report = await senders.stop()

    // One message per sender per simulated minute while the run lasted: t = 0 … 119 min.
    expect(report.messages).toBe(2 * 120)
    const steady = report.senders.find((s) => s.sender === 'steady')
    const clamping = report.senders.find((s) => s.sender === 'clamping')
    expect(steady?.bounced).toBe(0)
    expect(steady?.firstToTarget).toBeGreaterThanOrEqual(40 * 60_000)
    expect(steady?.firstToTarget).toBeLessThanOrEqual(50 * 60_000)
    // The clamping cache holds the old MX for an hour from its last refresh: it bounces after the switch-off.
    expect(clamping?.bounced).toBe(10)
    expect(clamping?.lastToSource).toBe(59 * 60_000)
    expect(report.bounces.every((b) => b.sender === 'clamping' && b.exchange === OLD && b.reason === 'source switched off')).toBe(true)
    expect(report.byHost.map((h) => h.exchange).sort()).toEqual([OLD, NEW].sort())
    expect(report.deferred).toBe(0)
  })
})
