import {describe, expect, test} from 'vitest'
import {keepSourceLine, rollbackReachLine} from '../../src/run/continuity.js'
import {planStatus} from '../../src/run/status.js'
import {notBefore} from '../../src/run/timeline.js'
import {decommissionSafe, sourceRemovalStep} from '../../src/state/decommission.js'
import type {PlanState, Step} from '../../src/state/schema.js'
import {handPlan} from '../run/fixtures.js'

const SWAP = Date.parse('2025-01-01T10:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

/** The hand plan with the swap done and verified, verification having seen `resolvers`, plus a step held to the decommission-safe time. */
function swapped(resolvers: unknown[], verified = true): PlanState {
  const plan = handPlan()
  for (const s of plan.steps) {
    if (s.id === 'restore-ttl') break
    s.status = 'done'
    s.finishedAt = iso(SWAP - 1000)
  }
  const swap = plan.steps.find((s) => s.id === 'swap-mx') as Step
  swap.finishedAt = iso(SWAP)
  const verify = plan.steps.find((s) => s.id === 'verify-propagation') as Step
  if (verified) {
    verify.finishedAt = iso(SWAP + 5000)
    verify.evidence = {convergedAt: iso(SWAP + 5000), resolvers}
  } else {
    verify.status = 'pending'
    delete verify.finishedAt
  }
  plan.steps.push({id: 'decommission-check', kind: 'smtp-probe', title: 'At the decommission-safe time, probe the source once more', status: 'pending', probe: {role: 'source', hosts: [{priority: 10, exchange: 'mail.contoso.test'}], onRefusal: 'warn'}, waitFor: [{after: 'swap-mx', seconds: 3, reason: 'estimate'}], afterDecommissionSafe: true})
  return plan
}

describe('the decommission-safe time', () => {
  test('swap + the TTL the old MX was published with + margin, when no resolver clamps', () => {
    const plan = swapped([{name: 'r0', address: '127.0.0.1', status: 'updated'}])
    expect(sourceRemovalStep(plan)?.id).toBe('swap-mx')
    const d = decommissionSafe(plan)
    // handPlan: lowered TTL 2 s at the swap, margin 1 s.
    expect(d).toMatchObject({at: SWAP + 3000, publishedTtl: 2, holdSeconds: 2, margin: 1, clamp: null, provisional: false})
    expect(notBefore(plan, plan.steps.at(-1) as Step)).toMatchObject({kind: 'at', at: SWAP + 3000})
  })

  test('a clamping resolver seen during verification moves it by its clamp; the checkpoint stops promising the lowered TTL', () => {
    const clamp = {rrset: 'old', observedTtl: 9, publishedTtl: 2, excess: 7, message: 'holds the old MX with 9 s left although it was published with TTL 2 s', observedAt: iso(SWAP + 1000)}
    const plan = swapped([{name: 'r0', address: '127.0.0.1', status: 'updated'}, {name: 'clamping', address: '127.0.0.2', status: 'updated', clamping: clamp}])
    const d = decommissionSafe(plan)
    // Seen at swap + 1 s with 9 s left: held until swap + 11 s at least (+1 s for the whole-second rounding), + margin 1 s.
    expect(d).toMatchObject({at: SWAP + 12_000, holdSeconds: 11, clamp: {resolver: 'clamping', observedTtl: 9}})
    expect((d?.at ?? 0) - (SWAP + 2000 + 1000)).toBe(9000)
    expect(notBefore(plan, plan.steps.at(-1) as Step)).toMatchObject({kind: 'at', at: SWAP + 12_000, reason: expect.stringMatching(/decommission-safe/)})
    expect(keepSourceLine(plan, SWAP)).toMatch(/^keep the source accepting mail until \w{3} 1 Jan 2025 10:00:12 \S+ \(in 12 s\): .*clamping \(127\.0\.0\.2\) clamps TTLs and may hand out the old MX for 11 s although it was published with TTL 2 s; margin 1 s$/)
    expect(rollbackReachLine(plan)).toMatch(/would not reach every resolver within the lowered TTL of 2 s: clamping \(127\.0\.0\.2\) clamps TTLs/)
    const status = planStatus(plan, {planPath: 'p.json', lock: null, now: SWAP, resumeCommand: 'mxcut resume p.json'})
    expect(status.decommissionSafeAt).toBe(iso(SWAP + 12_000))
    expect(status.keepSource).toMatch(/keep the source accepting mail until/)
  })

  test('unknown before the swap, provisional while verification runs, none after a rollback', () => {
    const before = handPlan()
    expect(decommissionSafe(before)).toBeNull()
    expect(planStatus(before, {planPath: 'p.json', lock: null, now: SWAP, resumeCommand: 'r'}).decommissionSafeAt).toBeNull()
    expect(decommissionSafe(swapped([], false))).toMatchObject({provisional: true, at: SWAP + 3000})
    const rolled = swapped([])
    rolled.rollback = {status: 'done', startedAt: iso(SWAP), finishedAt: iso(SWAP + 1)}
    expect(decommissionSafe(rolled)).toBeNull()
  })
})
