import {describe, expect, test} from 'vitest'
import {UserError} from '../../src/lib/errors.js'
import {toPlanState} from '../../src/plan/plan-file.js'
import {planCutover} from '../../src/plan/planner.js'
import {planIncoherence} from '../../src/state/coherence.js'
import {canonicalJson, digestMatches, planDigest, shortDigest} from '../../src/state/digest.js'
import {parsePlanState} from '../../src/state/file.js'
import type {PlanState} from '../../src/state/schema.js'
import {config, NOW, observed, type Zone} from '../plan/fixtures.js'
import {handPlan} from '../run/fixtures.js'

/** Plans as the planner makes them, in every shape it has: each must load, coherent, with the digest it was written with. */
const SHAPES: Array<[string, Zone, Record<string, unknown>]> = [
  ['replace', {}, {}],
  ['replace, no TTL to lower', {mxTtl: 60}, {ttl: {lowered: 300}}],
  ['replace, null MX', {mx: [[0, '.']], mxTtl: 300}, {}],
  ['replace, no MX today', {mxTtl: null, mx: []}, {}],
  ['replace, autodiscover moved in the swap', {extra: [{name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['mail.contoso.test']}]}, {}],
  [
    'replace, MTA-STS and DANE checkpoints',
    {
      extra: [{name: '_mta-sts.contoso.test', type: 'TXT', ttl: 7200, records: ['v=STSv1; id=20240101']}],
      findings: [
        {code: 'MTA_STS_POLICY_MX_MISMATCH', severity: 'error', subject: 'policy', message: 'm'},
        {code: 'DANE_TLSA_SOURCE_ONLY', severity: 'warning', subject: 'tlsa', message: 'm'},
      ],
    },
    {},
  ],
  ['replace, cleanup of the source include', {mx: [[1, 'smtp.google.com']], txt: ['v=spf1 include:_spf.google.com ~all']}, {cleanup: {soak: '3d'}}],
  ['staged', {mx: [[10, 'mx1.contoso.test'], [20, 'mx2.contoso.test']]}, {strategy: 'staged'}],
  ['staged, no TTL to lower', {mxTtl: 300}, {strategy: 'staged'}],
]

function planned(zone: Zone, overrides: Record<string, unknown>): PlanState {
  const plan = planCutover(observed(zone), config(overrides), NOW)
  expect(plan.blockers).toEqual([])
  return toPlanState(plan, config(overrides), '/tmp/x.yaml')
}

/** The one line a load refuses an edited plan with. */
function refusal(plan: PlanState): string {
  try {
    parsePlanState(JSON.stringify(plan), 'x.plan.json')
  } catch (err) {
    expect(err).toBeInstanceOf(UserError)
    const message = (err as UserError).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error('the edited plan was accepted')
}

const edited = (plan: PlanState, edit: (p: PlanState) => void, keepDigest = false): PlanState => {
  const copy = structuredClone(plan)
  edit(copy)
  if (!keepDigest) delete copy.digest
  return copy
}
const stepOf = (p: PlanState, id: string) => {
  const s = p.steps.find((x) => x.id === id)
  if (!s) throw new Error(`no step ${id}`)
  return s
}

describe('plans the planner makes', () => {
  test.each(SHAPES)('%s: coherent, and the digest survives the file', (_name, zone, overrides) => {
    const state = planned(zone, overrides)
    expect(planIncoherence(state)).toBeNull()
    expect(state.digest).toMatch(/^[0-9a-f]{64}$/)
    const back = parsePlanState(JSON.stringify(state, null, 2), 'x.plan.json')
    expect(planDigest(back)).toBe(state.digest)
  })
})

describe('the digest', () => {
  test('does not change as the plan runs (status, times, waits, evidence, errors)', () => {
    const plan = handPlan()
    const before = planDigest(plan)
    const ran = structuredClone(plan)
    ran.steps[0] = {...ran.steps[0], status: 'done', startedAt: '2025-01-01T00:00:01Z', finishedAt: '2025-01-01T00:00:02Z', evidence: {findings: []}}
    ran.steps[2] = {...ran.steps[2], status: 'running', notBefore: '2025-01-01T00:01:00Z', estimatedStart: '2025-01-01T00:00:10Z'}
    ran.steps[4] = {...ran.steps[4], status: 'failed', error: 'drift'}
    ran.rollbackPlan!.procedures[1].steps[0].status = 'skipped'
    ran.pausedAt = '2025-01-01T00:00:05Z'
    expect(planDigest(ran)).toBe(before)
  })

  test('does not depend on the order of keys in the file', () => {
    const plan = handPlan()
    const reordered = JSON.parse(canonicalJson(plan)) as PlanState
    reordered.steps = reordered.steps.map((s) => Object.fromEntries(Object.entries(s).reverse()) as typeof s)
    expect(planDigest(reordered)).toBe(planDigest(plan))
    expect(canonicalJson({b: 1, a: [{d: 'x', c: null}]})).toBe('{"a":[{"c":null,"d":"x"}],"b":1}')
  })

  test('changes with anything a reviewer approves: a title, a record, a wait, the rollback', () => {
    const plan = handPlan()
    const d = planDigest(plan)
    expect(planDigest(edited(plan, (p) => (stepOf(p, 'swap-mx').title = 'Swap')))).not.toBe(d)
    expect(planDigest(edited(plan, (p) => (stepOf(p, 'restore-ttl').changes![0].after!.ttl = 9)))).not.toBe(d)
    expect(planDigest(edited(plan, (p) => (stepOf(p, 'wait-old-ttl').waitFor![0].seconds = 1)))).not.toBe(d)
    expect(planDigest(edited(plan, (p) => (p.rollbackPlan!.procedures[1].steps[1].expectMx = [])))).not.toBe(d)
  })

  test('--digest accepts the full digest or a prefix of 8 or more hex digits, any case', () => {
    const d = planDigest(handPlan())
    expect(digestMatches(d, d)).toBe(true)
    expect(digestMatches(d, shortDigest(d).toUpperCase())).toBe(true)
    expect(digestMatches(d, `sha256:${d.slice(0, 8)}`)).toBe(true)
    expect(digestMatches(d, d.slice(0, 7))).toBe(false)
    expect(digestMatches(d, 'f'.repeat(12))).toBe(d.startsWith('f'.repeat(12)))
  })
})

describe('an edited plan is refused at load, in one line', () => {
  const plan = planned({}, {})

  test('the target MX changed everywhere, consistently: the digest recorded by mxcut plan no longer matches', () => {
    const evil = 'mx.attacker.test'
    const text = JSON.stringify(plan).replaceAll('contoso-test.mail.protection.outlook.com', evil)
    expect(text).toContain(evil)
    expect(() => parsePlanState(text, 'x.plan.json')).toThrow(/was changed after mxcut plan wrote it.*no longer match its digest/)
  })

  test("only swap-mx's after-state: verify and restore-ttl no longer follow from it", () => {
    const message = refusal(edited(plan, (p) => (stepOf(p, 'swap-mx').changes![0].after!.records = [{priority: 0, exchange: 'mx.attacker.test'}])))
    expect(message).toMatch(/not coherent.*verify-propagation expects MX 0 contoso-test\.mail\.protection\.outlook\.com, but the changes before it leave MX 0 mx\.attacker\.test/)
  })

  test('preflight moved to the end', () => {
    const message = refusal(edited(plan, (p) => p.steps.push(...p.steps.splice(0, 1))))
    expect(message).toMatch(/preflight is step \d+, not the first/)
  })

  test('a rollback procedure that restores something else', () => {
    const message = refusal(edited(plan, (p) => (p.rollbackPlan!.procedures[1].steps[0].changes![0].after!.records = [{priority: 5, exchange: 'mx.attacker.test'}])))
    expect(message).toMatch(/the rollback after swap-mx: verify-rollback expects MX 10 mail\.contoso\.test/)
  })

  test('other edits: a step out of order, a kind changed, the checkpoint or the wait removed, a before-state changed', () => {
    const flowFirst = (p: PlanState) => p.steps.splice(p.steps.findIndex((s) => s.id === 'swap-mx'), 0, ...p.steps.splice(p.steps.findIndex((s) => s.id === 'confirm-mail-flow'), 1))
    expect(refusal(edited(plan, flowFirst))).toMatch(/step swap-mx comes after confirm-mail-flow; the planner puts it before/)
    expect(refusal(edited(plan, (p) => (stepOf(p, 'swap-mx').kind = 'checkpoint')))).toMatch(/swap-mx is of kind checkpoint/)
    expect(refusal(edited(plan, (p) => (p.steps = p.steps.filter((s) => s.id !== 'confirm-swap'))))).toMatch(/swap-mx has no confirm-swap checkpoint/)
    expect(refusal(edited(plan, (p) => (p.steps = p.steps.filter((s) => s.id !== 'wait-old-ttl'))))).toMatch(/not preceded by a wait for the lowered TTL/)
    expect(refusal(edited(plan, (p) => (stepOf(p, 'lower-ttl').changes![0].before!.ttl = 60)))).toMatch(/lower-ttl changes contoso\.test MX from a state \(TTL 60/)
    expect(refusal(edited(plan, (p) => (stepOf(p, 'publish-companions').changes![0].before = null)))).toMatch(/publish-companions changes .* from data that is not what was observed/)
  })

  test('an edit that also rewrites the recorded digest is coherent and loads: --digest is what refuses it', () => {
    const evil = JSON.parse(JSON.stringify(plan).replaceAll('contoso-test.mail.protection.outlook.com', 'mx.attacker.test')) as PlanState
    evil.digest = planDigest(evil)
    const back = parsePlanState(JSON.stringify(evil), 'x.plan.json')
    expect(digestMatches(planDigest(back), shortDigest(plan.digest!))).toBe(false)
  })

  test('a plan written before digests existed loads without one', () => {
    const old = edited(plan, () => undefined)
    expect(old.digest).toBeUndefined()
    expect(parsePlanState(JSON.stringify(old), 'x.plan.json').steps).toHaveLength(plan.steps.length)
  })
})
