import {describe, expect, test} from 'vitest'
import {verifyPropagation, type VerifyReport} from '../../src/verify/verify.js'
import {nextDelay, watchPropagation} from '../../src/verify/watch.js'
import {fakeWorld} from './fake-world.js'

const domain = 'contoso.com'
const oldMx = [{priority: 10, exchange: 'mx1.fabrikam.com'}]
const newMx = [{priority: 0, exchange: 'contoso-com.mail.protection.outlook.com'}]

/** Old MX at TTL 300 cached everywhere, then the swap at the same TTL. */
function swapped(options: {clampMin?: number; lagging?: string[]} = {}) {
  const w = fakeWorld(domain)
  w.publish(oldMx, 300)
  const resolvers = [w.resolver('a'), w.resolver('b'), w.resolver('clamp', {clampMin: options.clampMin ?? 0})]
  return {w, resolvers, warm: async () => {
    for (const r of resolvers) await w.client.query(r, domain, 'MX')
  }}
}

describe('verifyPropagation on a simulated world', () => {
  test('RD=0 to authoritative servers, RD=1 and N samples to resolvers', async () => {
    const {w, resolvers} = swapped()
    w.publish(newMx, 300)
    await verifyPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, samples: 4, now: w.now})
    for (const a of w.auth) expect(w.queries.filter((q) => q.server === a.address).every((q) => !q.recursion)).toBe(true)
    for (const r of resolvers) {
      const qs = w.queries.filter((q) => q.server === r.address)
      expect(qs).toHaveLength(4)
      expect(qs.every((q) => q.recursion)).toBe(true)
    }
  })

  test('the ETA is the latest expiry among stale caches; the old TTL is learnt from a lagging server', async () => {
    const {w, resolvers, warm} = swapped({clampMin: 900})
    await warm()
    w.advance(100_000)
    w.publish(newMx, 300, ['192.0.2.2'])
    const lagging = await verifyPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, now: w.now})
    expect(lagging.authoritative.map((a) => a.status)).toEqual(['updated', 'stale'])
    expect(lagging.eta).toBeNull()
    expect(lagging.publishedTtl).toBe(300)
    expect(lagging.publishedTtlSource).toBe('authoritative')
    // The clamping cache holds the old set with 800 s left, beyond the 300 s the servers publish.
    expect(lagging.resolvers[2].clamping).toMatchObject({rrset: 'old', observedTtl: 800})

    w.catchUp()
    const report = await verifyPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, now: w.now, publishedTtl: 300})
    expect(report.resolvers.map((r) => [r.status, r.ttlRemaining])).toEqual([
      ['stale', 200],
      ['stale', 200],
      ['stale', 800],
    ])
    expect(report.eta).toBe(new Date(w.now() + 801_000).toISOString())
    expect(report.etaSeconds).toBe(801)
  })
})

describe('watchPropagation', () => {
  test('polls slowly while the ETA is far, at least once a second near it, and stops once converged', async () => {
    const {w, resolvers, warm} = swapped()
    await warm()
    w.publish(newMx, 300)
    const updates: VerifyReport[] = []
    const result = await watchPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, now: w.now, sleep: w.sleep, onUpdate: (r) => updates.push(r)})
    expect(result.converged).toBe(true)
    expect(updates.at(-1)?.converged).toBe(true)
    expect(updates.slice(0, -1).every((u) => !u.converged)).toBe(true)
    expect(Math.max(...w.sleeps)).toBeLessThanOrEqual(15_000)
    const eta = Date.parse(updates[0].eta ?? '')
    // Detection on the simulated clock: the first check after the caches' real expiry (eta - 1 s) converged.
    const convergedAt = Date.parse(result.convergedAt ?? '')
    expect(convergedAt).toBeGreaterThanOrEqual(eta - 1000)
    expect(convergedAt - (eta - 1000)).toBeLessThanOrEqual(1000)
    // Far from the ETA it sleeps long (few checks in 300 s), near it it polls twice a second.
    expect(result.rounds).toBeLessThan(40)
    expect(w.sleeps.slice(-3).every((s) => s <= 1000)).toBe(true)
  })

  test('gives up at the deadline, and an unreachable resolver keeps it from converging', async () => {
    const {w, resolvers, warm} = swapped()
    await warm()
    w.publish(newMx, 300)
    const dead = w.resolver('dead', {behaviour: 'refused-conn'})
    const start = w.now()
    const result = await watchPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers: [...resolvers, dead], now: w.now, sleep: w.sleep, deadline: start + 600_000})
    expect(result).toMatchObject({converged: false, timedOut: true, aborted: false})
    expect(result.report.resolvers.at(-1)?.status).toBe('unreachable')
    expect(result.report.resolvers.slice(0, 3).every((r) => r.status === 'updated')).toBe(true)
    expect(w.now()).toBeGreaterThanOrEqual(start + 600_000)
    expect(result.report.pending.join(' ')).toMatch(/could not be checked/)
  })

  test('a silent resolver is probed in the background: rounds keep their pace, and its probe is cancelled at the end', async () => {
    const {w, resolvers, warm} = swapped()
    await warm()
    w.publish(newMx, 300)
    const sink = w.resolver('sink', {behaviour: 'silent-then-hang'})
    const start = w.now()
    const result = await watchPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers: [...resolvers, sink], now: w.now, sleep: w.sleep, deadline: start + 400_000})
    expect(result.timedOut).toBe(true)
    expect(result.rounds).toBeGreaterThan(10)
    expect(result.report.resolvers.at(-1)?.status).toBe('unreachable')
    // The others were seen updated: the sink did not hold the rounds.
    expect(result.report.resolvers.slice(0, 3).every((r) => r.status === 'updated')).toBe(true)
    expect(w.hanging).toEqual({pending: 0, aborted: 3})
  })

  test('a resolver that hangs from the first check does not hold it: shown unreachable after slowAfterMs, asked on in the background', async () => {
    const {w, resolvers, warm} = swapped()
    await warm()
    w.publish(newMx, 300)
    const sink = w.resolver('sink', {behaviour: 'hang'})
    const start = w.now()
    const seen: VerifyReport[] = []
    const result = await watchPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers: [...resolvers, sink], now: w.now, sleep: w.sleep, deadline: start + 400_000, slowAfterMs: 20, onUpdate: (r) => seen.push(r)})
    expect(seen[0].resolvers.at(-1)).toMatchObject({status: 'unreachable', error: expect.stringMatching(/no answer within 20 ms yet/)})
    expect(seen[0].resolvers.slice(0, 3).every((r) => r.status === 'stale')).toBe(true)
    expect(result).toMatchObject({timedOut: true, converged: false})
    // One background probe of three samples, never re-launched while in flight, cancelled at the end.
    expect(w.hanging).toEqual({pending: 0, aborted: 3})
  })

  test('an abort signal ends the watch with the last report', async () => {
    const {w, resolvers, warm} = swapped()
    await warm()
    w.publish(newMx, 300)
    const abort = new AbortController()
    const result = await watchPropagation({
      client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, now: w.now, sleep: w.sleep, signal: abort.signal,
      onUpdate: (_r, round) => round === 2 && abort.abort(),
    })
    expect(result).toMatchObject({converged: false, aborted: true, rounds: 2})
  })

  test('clamping seen once stays on the report when the cache no longer shows it', async () => {
    const {w, resolvers, warm} = swapped({clampMin: 400})
    await warm()
    w.publish(newMx, 300)
    const seen: VerifyReport[] = []
    // Clamps to 400 the new set too: hide that by publishing the new one at 600 (no clamping of the new set).
    w.publish(newMx, 600)
    const result = await watchPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, now: w.now, sleep: w.sleep, publishedTtl: 300, onUpdate: (r) => seen.push(r)})
    expect(result.converged).toBe(true)
    expect(seen[0].resolvers[2].clamping?.rrset).toBe('old')
    expect(result.report.resolvers[2].clamping).toMatchObject({rrset: 'old', observedTtl: 400, observedAt: seen[0].checkedAt})
  })

  test('nextDelay', () => {
    const base = {eta: null} as VerifyReport
    expect(nextDelay(base, 0, {})).toBe(1000)
    expect(nextDelay({...base, eta: new Date(60_000).toISOString()}, 0, {})).toBe(15_000)
    expect(nextDelay({...base, eta: new Date(10_000).toISOString()}, 0, {})).toBe(7000)
    expect(nextDelay({...base, eta: new Date(2000).toISOString()}, 0, {})).toBe(500)
    expect(nextDelay({...base, eta: new Date(0).toISOString()}, 5000, {})).toBe(500)
  })
})
