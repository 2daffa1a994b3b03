import {describe, expect, test} from 'vitest'
import {planCutover} from '../../src/plan/planner.js'
import {config, NOW, observed} from './fixtures.js'

/** An SPF record with the source's includes that, with the target's added, needs more than 10 lookups. */
const today = 'v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net mx -all'
const merged = 'v=spf1 include:_spf.google.com include:mailgun.org include:sendgrid.net mx include:spf.protection.outlook.com -all'
const terms = [
  {term: 'include:_spf.google.com', lookups: 4},
  {term: 'include:sendgrid.net', lookups: 3},
  {term: 'include:mailgun.org', lookups: 2},
  {term: 'include:spf.protection.outlook.com', lookups: 2},
  {term: 'mx', lookups: 1},
]

describe('an SPF record over 10 lookups after the merge', () => {
  test('the refusal says what each term costs and how to drop the source includes at the swap', () => {
    const plan = planCutover(observed({txt: [today], spfCount: {record: merged, lookups: 12, problems: [], terms}}), config(), NOW)
    const block = plan.blockers.find((b) => b.code === 'SPF_TOO_MANY_LOOKUPS')
    expect(block?.message).toContain('needs 12 DNS lookups (limit 10, RFC 7208 §4.6.4)')
    expect(block?.message).toContain('What each term costs: include:_spf.google.com 4, include:sendgrid.net 3, include:mailgun.org 2, include:spf.protection.outlook.com 2, mx 1.')
    expect(block?.message).toContain('source.spfDropAtSwap: [_spf.google.com, sendgrid.net, mailgun.org]')
  })

  test('source.spfDropAtSwap: the SPF record changes in the swap update (source includes out, target in), the rollback puts it back', () => {
    const after = 'v=spf1 include:mailgun.org mx include:spf.protection.outlook.com -all'
    const cfg = config({source: {profile: 'auto', spfInclude: '_spf.google.com', spfDropAtSwap: ['_spf.google.com', 'sendgrid.net']}})
    const plan = planCutover(observed({txt: [today], spfCount: {record: after, lookups: 6, problems: []}}), cfg, NOW)
    expect(plan.blockers).toEqual([])
    // Published early: only the verification TXT, the SPF record stays as it is.
    const early = plan.steps.find((s) => s.id === 'publish-companions')?.changes?.find((c) => c.type === 'TXT')
    expect(early?.after?.records).toEqual([today, 'MS=ms11112222'])
    const swap = plan.steps.find((s) => s.id === 'swap-mx')
    expect(swap?.changes?.map((c) => c.type)).toEqual(['MX', 'TXT'])
    const spf = swap?.changes?.[1]
    expect(spf?.before?.records).toEqual([today, 'MS=ms11112222'])
    expect(spf?.after?.records).toEqual([after, 'MS=ms11112222'])
    expect(swap?.handles).toEqual(expect.arrayContaining(['SPF_TARGET_INCLUDE_MISSING', 'SPF_TOO_MANY_LOOKUPS']))
    expect(plan.notes).toContain('The SPF record after the swap needs 6 of at most 10 DNS lookups.')
    // Nothing left for the cleanup to drop.
    expect(plan.steps.some((s) => s.id === 'cleanup')).toBe(false)
    const back = plan.rollback.procedures.find((p) => p.from === 'swap-mx')?.steps[0]
    expect(back?.changes?.map((c) => [c.type, c.before?.records, c.after?.records])).toEqual([
      ['MX', expect.anything(), expect.anything()],
      ['TXT', [after, 'MS=ms11112222'], [today, 'MS=ms11112222']],
    ])
  })

  test('an include the record does not have is refused by name', () => {
    const plan = planCutover(observed({txt: [today]}), config({source: {profile: 'auto', spfDropAtSwap: ['spf.example.net']}}), NOW)
    expect(plan.blockers).toEqual([expect.objectContaining({code: 'SPF_DROP_UNKNOWN', message: expect.stringContaining('source.spfDropAtSwap names include:spf.example.net, which the SPF record')})])
  })
})

test('a lowered TTL under what resolvers honour is warned about', () => {
  const plan = planCutover(observed(), config({ttl: {lowered: 10}}), NOW)
  expect(plan.notes.find((n) => n.startsWith('Warning: ttl.lowered is 10 s.'))).toMatch(/clamp TTLs that short up to 60 s, 300 s or more/)
  expect(planCutover(observed(), config({ttl: {lowered: 300}}), NOW).notes.some((n) => n.startsWith('Warning: ttl.lowered'))).toBe(false)
})
