import {describe, expect, test} from 'vitest'
import {parsePlanState} from '../../src/state/file.js'
import {toPlanState} from '../../src/plan/plan-file.js'
import {mtaStsId} from '../../src/plan/companions.js'
import {negativeTtl, type CutoverPlan} from '../../src/plan/context.js'
import {planCutover} from '../../src/plan/planner.js'
import {estimateSchedule} from '../../src/plan/schedule.js'
import {spfWithInclude, spfWithoutInclude} from '../../src/plan/spf-merge.js'
import {config, DKIM, NOW, observed} from './fixtures.js'

const step = (plan: CutoverPlan, id: string) => {
  const s = plan.steps.find((x) => x.id === id)
  if (!s) throw new Error(`no step ${id} in ${plan.steps.map((x) => x.id).join(', ')}`)
  return s
}
const ids = (plan: CutoverPlan) => plan.steps.map((s) => s.id)
const at = (plan: CutoverPlan, id: string) => new Date(step(plan, id).estimatedStart ?? '').getTime() - NOW.getTime()

describe('TTL arithmetic (replace)', () => {
  test('the swap waits the old MX TTL plus margin after lower-ttl', () => {
    const plan = planCutover(observed({mxTtl: 3600, txt: []}), config({ttl: {lowered: 300, margin: 60}}), NOW)
    expect(plan.blockers).toEqual([])
    expect(ids(plan)).toEqual(['preflight', 'publish-companions', 'lower-ttl', 'wait-old-ttl', 'confirm-swap', 'probe-before-swap', 'swap-mx', 'verify-propagation', 'probe-source', 'confirm-mail-flow', 'restore-ttl', 'decommission-check'])
    const wait = step(plan, 'wait-old-ttl')
    expect(wait.waitFor).toContainEqual(expect.objectContaining({after: 'lower-ttl', seconds: 3660}))
    expect(step(plan, 'lower-ttl').changes).toEqual([
      {name: 'contoso.test', type: 'MX', before: {name: 'contoso.test', type: 'MX', ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]}, after: {name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 10, exchange: 'mail.contoso.test'}]}},
    ])
    expect(at(plan, 'swap-mx')).toBe(3660_000)
    // verify-propagation lasts as long as resolvers may hold the pre-swap RRset: the lowered TTL.
    expect(at(plan, 'confirm-mail-flow')).toBe(3660_000 + 300_000)
    expect(step(plan, 'swap-mx').changes?.[0]).toMatchObject({before: {ttl: 300}, after: {ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}]}})
    expect(step(plan, 'restore-ttl').changes?.[0]).toMatchObject({before: {ttl: 300}, after: {ttl: 3600}})
    expect(plan.ttl).toEqual({old: 3600, lowered: 300, swap: 300, final: 3600, negative: 300, margin: 60})
  })

  test('an MX TTL of a day plans a day-long wait', () => {
    const plan = planCutover(observed({mxTtl: 86400}), config(), NOW)
    expect(step(plan, 'wait-old-ttl').waitFor).toContainEqual(expect.objectContaining({after: 'lower-ttl', seconds: 86460}))
    expect(at(plan, 'swap-mx')).toBe(86460_000)
    expect(step(plan, 'restore-ttl').changes?.[0].after?.ttl).toBe(86400)
  })

  test('the margin and the lowered TTL come from the config, durations as text', () => {
    const plan = planCutover(observed({mxTtl: 7200, txt: []}), config({ttl: {lowered: '2m', margin: '5m', final: '1h'}}), NOW)
    expect(step(plan, 'wait-old-ttl').waitFor).toContainEqual(expect.objectContaining({after: 'lower-ttl', seconds: 7500}))
    expect(step(plan, 'lower-ttl').changes?.[0].after?.ttl).toBe(120)
    expect(step(plan, 'restore-ttl').changes?.[0].after?.ttl).toBe(3600)
  })

  test('a TTL already at or below the lowered one needs no lowering and no MX wait', () => {
    const plan = planCutover(observed({mxTtl: 120}), config(), NOW)
    expect(ids(plan)).not.toContain('lower-ttl')
    expect(ids(plan)).toContain('wait-companions')
    expect(step(plan, 'wait-companions').waitFor?.map((r) => r.after)).toEqual(['publish-companions'])
    expect(step(plan, 'swap-mx').changes?.[0]).toMatchObject({before: {ttl: 120}, after: {ttl: 120}})
    // final defaults to the TTL observed today: nothing to restore.
    expect(ids(plan)).not.toContain('restore-ttl')
    expect(plan.notes.join(' ')).toMatch(/already at or below 300 s/)
  })

  test('the negative-caching TTL is min(SOA MINIMUM, SOA TTL) (RFC 2308) and gates the swap for created records', () => {
    expect(negativeTtl({minimum: 86400, ttl: 900})).toBe(900)
    expect(negativeTtl({minimum: 300, ttl: 3600})).toBe(300)
    expect(negativeTtl(null)).toBeNull()
    // MX TTL short, nothing existing changed, a long negative TTL: the companions rule decides.
    const verified = observed({mxTtl: 60, txt: ['v=spf1 include:spf.protection.outlook.com -all', 'MS=ms11112222'], soa: {minimum: 7200, ttl: 5400}})
    const plan = planCutover(verified, config(), NOW)
    const created = step(plan, 'publish-companions').changes ?? []
    expect(created.map((c) => [c.name, c.type, c.before])).toEqual([
      ['autodiscover.contoso.test', 'CNAME', null],
      ['selector1._domainkey.contoso.test', 'CNAME', null],
      ['selector2._domainkey.contoso.test', 'CNAME', null],
    ])
    expect(step(plan, 'wait-companions').waitFor).toEqual([expect.objectContaining({after: 'publish-companions', seconds: 5400 + 60})])
    expect(step(plan, 'wait-companions').waitFor?.[0].reason).toMatch(/RFC 2308/)
    expect(at(plan, 'swap-mx')).toBe(5460_000)
  })

  test('a changed existing RRset gates the swap by its own TTL; the latest rule wins', () => {
    const plan = planCutover(observed({mxTtl: 600, txtTtl: 14400}), config(), NOW)
    const rules = step(plan, 'wait-old-ttl').waitFor ?? []
    expect(rules).toContainEqual(expect.objectContaining({after: 'lower-ttl', seconds: 660}))
    expect(rules).toContainEqual(expect.objectContaining({after: 'publish-companions', seconds: 14460}))
    expect(at(plan, 'swap-mx')).toBe(14460_000)
  })

  test('schedule estimate: waits count from the finish of the step they name', () => {
    const steps = [
      {id: 'a', kind: 'dns-change' as const, title: '', status: 'pending' as const, changes: [{name: 'x', type: 'MX', before: {name: 'x', type: 'MX', ttl: 50, records: []}, after: null}]},
      {id: 'b', kind: 'verify' as const, title: '', status: 'pending' as const},
      {id: 'c', kind: 'wait' as const, title: '', status: 'pending' as const, waitFor: [{after: 'a', seconds: 30, reason: ''}, {after: 'b', seconds: 10, reason: ''}]},
      {id: 'd', kind: 'checkpoint' as const, title: '', status: 'pending' as const},
    ]
    const s = estimateSchedule(steps, NOW).map((x) => [x.id, (x.start.getTime() - NOW.getTime()) / 1000, (x.end.getTime() - NOW.getTime()) / 1000])
    expect(s).toEqual([
      ['a', 0, 0],
      ['b', 0, 50],
      ['c', 50, 60],
      ['d', 60, 60],
    ])
  })
})

describe('records beside MX', () => {
  test('SPF: the target include is merged into the one record before its all', () => {
    expect(spfWithInclude('v=spf1 mx include:_spf.google.com ~all', 'spf.protection.outlook.com', null)).toEqual({record: 'v=spf1 mx include:_spf.google.com include:spf.protection.outlook.com ~all', created: false})
    expect(spfWithInclude('v=spf1 redirect=_spf.example.net', 'spf.protection.outlook.com', null)).toEqual({record: 'v=spf1 include:spf.protection.outlook.com redirect=_spf.example.net', created: false})
    expect(spfWithInclude('v=spf1 include:spf.protection.outlook.com -all', 'spf.protection.outlook.com', null)).toBeNull()
    expect(spfWithInclude(null, 'spf.protection.outlook.com', '_spf.google.com')).toEqual({record: 'v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all', created: true})
    expect(spfWithInclude('v=spf1 foo:bar -all', 'x.test', null)).toHaveProperty('error')
    expect(spfWithoutInclude('v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all', '_spf.google.com')).toBe('v=spf1 include:spf.protection.outlook.com ~all')
    expect(spfWithoutInclude('v=spf1 -all', '_spf.google.com')).toBeNull()
  })

  test('publish-companions: SPF merged, verification added, autodiscover and DKIM created, in one step', () => {
    const plan = planCutover(observed({txt: ['v=spf1 mx -all', 'other=1']}), config(), NOW)
    const changes = step(plan, 'publish-companions').changes ?? []
    const txt = changes.find((c) => c.type === 'TXT')
    expect(txt?.before?.records).toEqual(['v=spf1 mx -all', 'other=1'])
    expect(txt?.after?.records).toEqual(['v=spf1 mx include:spf.protection.outlook.com -all', 'other=1', 'MS=ms11112222'])
    expect(txt?.after?.records.filter((r) => String(r).startsWith('v=spf1'))).toHaveLength(1)
    expect(changes.find((c) => c.name === 'autodiscover.contoso.test')?.after?.records).toEqual(['autodiscover.outlook.com'])
    expect(changes.find((c) => c.name === 'selector1._domainkey.contoso.test')?.after?.records).toEqual(['selector1-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft'])
  })

  test('SPF within 10 lookups is noted; beyond 10 the plan is refused', () => {
    const record = 'v=spf1 mx include:spf.protection.outlook.com -all'
    const ok = planCutover(observed({spfCount: {record, lookups: 4, problems: []}}), config(), NOW)
    expect(ok.blockers).toEqual([])
    expect(ok.notes.join(' ')).toMatch(/needs 4 of at most 10 DNS lookups/)
    const over = planCutover(observed({spfCount: {record, lookups: 11, problems: []}}), config(), NOW)
    expect(over.blockers).toEqual([expect.objectContaining({code: 'SPF_TOO_MANY_LOOKUPS', message: expect.stringMatching(/11 DNS lookups \(limit 10/)})])
  })

  test('two SPF records, or one that does not parse: refused', () => {
    expect(planCutover(observed({txt: ['v=spf1 mx -all', 'v=spf1 a -all']}), config(), NOW).blockers.map((b) => b.code)).toEqual(['SPF_MULTIPLE'])
    expect(planCutover(observed({txt: ['v=spf1 mx bogus:x -all']}), config(), NOW).blockers.map((b) => b.code)).toEqual(['SPF_SYNTAX'])
  })

  test('what is already published is left alone', () => {
    const extra = [
      {name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.com']},
      {name: 'selector1._domainkey.contoso.test', type: 'CNAME', ttl: 3600, records: ['selector1-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft']},
      {name: 'selector2._domainkey.contoso.test', type: 'CNAME', ttl: 3600, records: ['other.dkim.example']},
    ]
    const plan = planCutover(observed({txt: ['v=spf1 include:spf.protection.outlook.com -all', 'MS=ms11112222'], extra}), config(), NOW)
    expect(ids(plan)).not.toContain('publish-companions')
    expect(plan.notes.join(' ')).toMatch(/selector2._domainkey.contoso.test CNAME already holds another value/)
  })

  test('DKIM targets not given: the plan is refused naming where to copy them; dkim: false leaves DKIM out; nothing is derived', () => {
    const refused = planCutover(observed(), config({target: {profile: 'microsoft365'}}), NOW)
    expect(refused.blockers).toEqual([
      {code: 'TARGET_VALUE_MISSING', subject: 'contoso.test DKIM', message: expect.stringMatching(/Microsoft 365 \(Exchange Online\) assigns the DKIM records of contoso\.test .*Defender portal.*Get-DkimSigningConfig -Identity contoso\.test.*target\.dkim: false/)},
    ])
    const withoutDkim = planCutover(observed(), config({target: {profile: 'microsoft365', dkim: false}}), NOW)
    expect(withoutDkim.blockers).toEqual([])
    const changes = withoutDkim.steps.flatMap((s) => s.changes ?? [])
    expect(changes.some((c) => c.name.includes('_domainkey'))).toBe(false)
    expect(JSON.stringify(withoutDkim)).not.toMatch(/onmicrosoft\.com|dkim\.mail\.microsoft|-v\d\.mx\.microsoft/)
    expect(withoutDkim.notes.join(' ')).toMatch(/MS=… verification TXT/)
    // The profile's documented MX for the domain.
    expect(step(withoutDkim, 'swap-mx').changes?.[0].after?.records).toEqual([{priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}])
  })

  test("Microsoft Graph's values (read by the pipeline) are the plan's MX, SPF and verification", () => {
    const tenant = {source: 'Microsoft Graph', domain: 'contoso.test', mx: [{priority: 0, exchange: 'contoso-test.o-v1.mx.microsoft'}], spfInclude: 'spf.protection.outlook.com', autodiscover: 'autodiscover.outlook.com', verification: 'MS=ms99990000', readAt: NOW.toISOString()}
    const plan = planCutover({...observed(), tenant}, config({target: {profile: 'microsoft365', dkim: false}}), NOW)
    expect(plan.blockers).toEqual([])
    expect(step(plan, 'swap-mx').changes?.[0].after?.records).toEqual([{priority: 0, exchange: 'contoso-test.o-v1.mx.microsoft'}])
    expect(step(plan, 'publish-companions').changes?.find((c) => c.type === 'TXT')?.after?.records).toContain('MS=ms99990000')
    expect(toPlanState(plan, config({target: {profile: 'microsoft365', dkim: false}})).preflight?.target).toEqual({profile: 'microsoft365', mx: tenant.mx, verification: 'MS=ms99990000', spfInclude: 'spf.protection.outlook.com', dkim: false})
  })

  test('an autodiscover CNAME of the source moves with the MX, in the swap', () => {
    const extra = [{name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['mail.contoso.test']}]
    const plan = planCutover(observed({extra}), config(), NOW)
    expect(step(plan, 'swap-mx').changes?.map((c) => `${c.name} ${c.type}`)).toEqual(['contoso.test MX', 'autodiscover.contoso.test CNAME'])
  })

  test('MTA-STS in enforce mode not covering the target: policy checkpoint first, then a new id, and the swap waits for the TXT TTL', () => {
    const extra = [{name: '_mta-sts.contoso.test', type: 'TXT', ttl: 7200, records: ['v=STSv1; id=20240101']}]
    const findings = [{code: 'MTA_STS_POLICY_MX_MISMATCH' as const, severity: 'error' as const, subject: 'https://mta-sts.contoso.test/.well-known/mta-sts.txt', message: 'the enforce policy does not list the target MX.'}]
    const plan = planCutover(observed({mxTtl: 600, extra, findings}), config(), NOW)
    expect(ids(plan).slice(0, 3)).toEqual(['preflight', 'update-mta-sts-policy', 'publish-companions'])
    expect(step(plan, 'update-mta-sts-policy').kind).toBe('checkpoint')
    const sts = step(plan, 'publish-companions').changes?.find((c) => c.name === '_mta-sts.contoso.test')
    expect(sts?.after?.records).toEqual([`v=STSv1; id=${mtaStsId(NOW)}`])
    expect(mtaStsId(NOW)).toMatch(/^[0-9]{14}$/)
    expect(step(plan, 'wait-old-ttl').waitFor).toContainEqual(expect.objectContaining({after: 'publish-companions', seconds: 7260}))
    expect(plan.handled).toContainEqual({code: 'MTA_STS_POLICY_MX_MISMATCH', step: 'update-mta-sts-policy'})
    // Without the finding (policy covers the target), MTA-STS is left alone.
    expect(ids(planCutover(observed({extra}), config(), NOW))).not.toContain('update-mta-sts-policy')
  })

  test('DANE on the source only becomes a checkpoint before the swap', () => {
    const findings = [{code: 'DANE_TLSA_SOURCE_ONLY' as const, severity: 'warning' as const, subject: '_25._tcp.mail.contoso.test TLSA', message: 'The source MX has TLSA records; the target has none.'}]
    const plan = planCutover(observed({findings}), config(), NOW)
    expect(ids(plan).indexOf('acknowledge-dane')).toBe(ids(plan).indexOf('confirm-swap') - 1)
    expect(step(plan, 'acknowledge-dane').why).toMatch(/mx\.microsoft/)
  })
})

describe('MX shapes', () => {
  test('a null MX is replaced by the target in one change', () => {
    const plan = planCutover(observed({mx: [[0, '.']], mxTtl: 300}), config(), NOW)
    expect(plan.blockers).toEqual([])
    const swap = step(plan, 'swap-mx')
    expect(swap.changes).toHaveLength(1)
    expect(swap.changes?.[0]).toMatchObject({before: {records: [{priority: 0, exchange: '.'}]}, after: {records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}]}})
    expect(swap.why).toMatch(/null MX/)
  })

  test('a null MX beside other MX records is refused', () => {
    const plan = planCutover(observed({mx: [[0, '.'], [10, 'mail.contoso.test']]}), config(), NOW)
    expect(plan.blockers.map((b) => b.code)).toContain('MX_NULL_MIXED')
  })

  test('no MX today: the swap creates it; nothing to lower or wait for', () => {
    const plan = planCutover(observed({mxTtl: null, mx: []}), config(), NOW)
    expect(ids(plan)).not.toContain('lower-ttl')
    expect(step(plan, 'swap-mx').changes?.[0]).toMatchObject({before: null, after: {ttl: 300}})
    expect(plan.notes.join(' ')).toMatch(/no MX today.*300 s/)
    expect(step(plan, 'restore-ttl').changes?.[0].after?.ttl).toBe(3600)
  })

  test('MX already at the target: nothing to cut over', () => {
    const plan = planCutover(observed({mx: [[0, 'contoso-test.mail.protection.outlook.com']]}), config(), NOW)
    expect(plan.blockers.map((b) => b.code)).toEqual(['ALREADY_AT_TARGET'])
  })
})

describe('the authoritative servers must agree', () => {
  test('a lagging secondary (serial mismatch) blocks', () => {
    const plan = planCutover(observed({serials: [8, 7]}), config(), NOW)
    expect(plan.blockers).toEqual([expect.objectContaining({code: 'NS_SERIAL_MISMATCH', message: expect.stringMatching(/ns1.contoso.test 8, ns2.contoso.test 7/)})])
  })

  test('an unreachable server blocks: the TTL it serves is unknown', () => {
    const plan = planCutover(observed({reachable: [true, false]}), config(), NOW)
    expect(plan.blockers.map((b) => b.code)).toEqual(['NS_UNREACHABLE'])
  })

  test('servers serving different RRsets block', () => {
    const plan = planCutover(observed({disagreements: [{subject: 'contoso.test MX', values: [{server: 'a', value: 'TTL 3600'}, {server: 'b', value: 'TTL 7200'}]}]}), config(), NOW)
    expect(plan.blockers.map((b) => b.code)).toEqual(['NS_RRSET_MISMATCH'])
  })

  test('audit findings that make the plan wrong block; the others are listed', () => {
    const findings = [
      {code: 'NS_SERIAL_MISMATCH' as const, severity: 'error' as const, subject: 'contoso.test SOA', message: 'serials differ'},
      {code: 'TARGET_SMTP_REJECTS' as const, severity: 'error' as const, subject: 'x', message: 'rejects'},
    ]
    const plan = planCutover(observed({findings}), config(), NOW)
    expect(plan.blockers.map((b) => b.code)).toEqual(['NS_SERIAL_MISMATCH'])
    expect(plan.findings).toHaveLength(2)
  })
})

describe('mail continuity in the plan', () => {
  test('the target is probed right before the swap, the source after it and again at the decommission-safe time; cleanup waits for it too', () => {
    const plan = planCutover(observed({mxTtl: 3600, txt: ['v=spf1 include:spf.oldprovider.test include:spf.protection.outlook.com -all']}), config({ttl: {lowered: 300, margin: 60}, source: {profile: 'auto', spfInclude: 'spf.oldprovider.test'}, cleanup: {enabled: true, soak: 0}}), NOW)
    const T = 'contoso-test.mail.protection.outlook.com'
    expect(step(plan, 'probe-before-swap')).toMatchObject({kind: 'smtp-probe', probe: {role: 'target', hosts: [{priority: 0, exchange: T}], onRefusal: 'stop'}})
    expect(ids(plan).indexOf('probe-before-swap')).toBe(ids(plan).indexOf('swap-mx') - 1)
    expect(step(plan, 'probe-source')).toMatchObject({kind: 'smtp-probe', probe: {role: 'source', hosts: [{priority: 10, exchange: 'mail.contoso.test'}], onRefusal: 'warn'}})
    const check = step(plan, 'decommission-check')
    expect(check).toMatchObject({kind: 'smtp-probe', afterDecommissionSafe: true, waitFor: [{after: 'swap-mx', seconds: 360, reason: expect.stringMatching(/later if a resolver clamps TTLs/)}]})
    // Estimated: swap + the lowered TTL the old MX was served with at the swap + margin.
    expect(at(plan, 'decommission-check')).toBe(at(plan, 'swap-mx') + 360_000)
    expect(step(plan, 'cleanup')).toMatchObject({afterDecommissionSafe: true})
    expect(step(plan, 'confirm-mail-flow').why).not.toMatch(/returns within the lowered TTL\.$/)
    expect(step(plan, 'confirm-mail-flow').why).toMatch(/where verification saw a resolver clamp TTLs, the checkpoint says how long instead/)
  })

  test('a domain without MX today has no source to probe or keep', () => {
    const plan = planCutover(observed({mx: [], txt: []}), config(), NOW)
    expect(ids(plan)).toContain('probe-before-swap')
    expect(ids(plan)).not.toContain('probe-source')
    expect(ids(plan)).not.toContain('decommission-check')
  })
})

describe('staged strategy (Microsoft: add as backup, probe, promote, remove the source)', () => {
  test('steps and prioritys', () => {
    const plan = planCutover(observed({mx: [[10, 'mx1.contoso.test'], [20, 'mx2.contoso.test']], txt: []}), config({strategy: 'staged'}), NOW)
    expect(plan.blockers).toEqual([])
    expect(ids(plan)).toEqual([
      'preflight', 'publish-companions', 'lower-ttl', 'add-target-backup', 'verify-backup', 'probe-target', 'wait-old-ttl', 'confirm-promote',
      'probe-before-swap', 'promote-target', 'verify-propagation', 'probe-source', 'confirm-mail-flow', 'remove-source', 'verify-removal', 'restore-ttl', 'decommission-check',
    ])
    const T = 'contoso-test.mail.protection.outlook.com'
    expect(step(plan, 'verify-backup').expectMx).toEqual([{priority: 10, exchange: 'mx1.contoso.test'}, {priority: 20, exchange: 'mx2.contoso.test'}, {priority: 30, exchange: T}])
    expect(step(plan, 'promote-target').changes?.[0].after?.records).toEqual([{priority: 0, exchange: T}, {priority: 10, exchange: 'mx1.contoso.test'}, {priority: 20, exchange: 'mx2.contoso.test'}])
    expect(step(plan, 'remove-source').changes?.[0].after?.records).toEqual([{priority: 0, exchange: T}])
    expect(step(plan, 'verify-removal').expectMx).toEqual([{priority: 0, exchange: T}])
    // Every MX change runs at the lowered TTL; the promotion waits out the old TTL.
    for (const id of ['add-target-backup', 'promote-target', 'remove-source']) expect(step(plan, id).changes?.[0].after?.ttl).toBe(300)
    expect(at(plan, 'promote-target')).toBe(3660_000)
  })

  test('staged needs a source MX to keep beside the target', () => {
    expect(planCutover(observed({mx: [[0, '.']]}), config({strategy: 'staged'}), NOW).blockers.map((b) => b.code)).toContain('STAGED_NEEDS_SOURCE_MX')
  })
})

describe('cleanup and rollback', () => {
  test('after the soak, the source include leaves SPF (source detected from MX)', () => {
    const o = observed({mx: [[1, 'smtp.google.com']], txt: ['v=spf1 include:_spf.google.com ~all']})
    const plan = planCutover(o, config({cleanup: {soak: '3d'}}), NOW)
    expect(plan.source).toEqual({profile: 'google-workspace', detected: true})
    expect(step(plan, 'soak')).toMatchObject({optional: true, waitFor: [expect.objectContaining({after: 'confirm-mail-flow', seconds: 259200})]})
    const c = step(plan, 'cleanup').changes?.[0]
    expect(c?.before?.records).toContain('v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all')
    expect(c?.after?.records).toContain('v=spf1 include:spf.protection.outlook.com ~all')
    expect(ids(planCutover(o, config({cleanup: {enabled: false}}), NOW))).not.toContain('cleanup')
  })

  test('rollback restores the original MX at the lowered TTL, then the TTL', () => {
    const plan = planCutover(observed(), config(), NOW)
    const afterSwap = plan.rollback.procedures.find((p) => p.from === 'swap-mx')
    expect(afterSwap?.steps[0].changes?.[0]).toMatchObject({before: {ttl: 300, records: [{exchange: 'contoso-test.mail.protection.outlook.com'}]}, after: {ttl: 300, records: [{priority: 10, exchange: 'mail.contoso.test'}]}})
    expect([...(afterSwap?.steps ?? []), ...plan.rollback.optional].map((r) => r.title)).toEqual(['Restore the original MX RRset at the lowered TTL', 'Verify the original MX everywhere', 'Restore the MX TTL to 3600 s', 'Optionally withdraw the companion records'])
  })

  test('one stored procedure per point the run may reach: the TTL alone after lower-ttl; from the final TTL after restore-ttl', () => {
    const plan = planCutover(observed(), config(), NOW)
    expect(plan.rollback.procedures.map((p) => [p.from, p.steps.map((s) => s.id)])).toEqual([
      ['lower-ttl', ['rollback-ttl']],
      ['swap-mx', ['rollback-mx', 'verify-rollback', 'rollback-ttl']],
      ['restore-ttl', ['rollback-mx', 'verify-rollback', 'rollback-ttl']],
    ])
    expect(plan.rollback.procedures[2].steps[0].changes?.[0]).toMatchObject({before: {ttl: 3600}, after: {ttl: 300}})
    expect(plan.rollback.procedures[0].steps[0].changes?.[0]).toMatchObject({before: {ttl: 300}, after: {ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]}})
  })

  test('an MX TTL below the lowered one: the rollback restores at that TTL and changes no TTL (as the review says)', () => {
    const plan = planCutover(observed({mxTtl: 60}), config({ttl: {lowered: 300}}), NOW)
    expect(plan.rollback.procedures.map((p) => [p.from, p.steps.map((s) => s.id)])).toEqual([['swap-mx', ['rollback-mx', 'verify-rollback']]])
    expect(plan.rollback.procedures[0].steps[0].changes?.[0]).toMatchObject({before: {ttl: 60}, after: {ttl: 60, records: [{priority: 10, exchange: 'mail.contoso.test'}]}})
  })

  test('staged: a procedure after each MX change', () => {
    const plan = planCutover(observed(), config({strategy: 'staged'}), NOW)
    expect(plan.rollback.procedures.map((p) => p.from)).toEqual(['lower-ttl', 'add-target-backup', 'promote-target', 'remove-source', 'restore-ttl'])
    for (const p of plan.rollback.procedures.slice(1)) expect(p.steps.map((s) => s.id)).toEqual(['rollback-mx', 'verify-rollback', 'rollback-ttl'])
  })
})

describe('plan state file', () => {
  test('the runner accepts what the planner writes, and the observed state is recorded', () => {
    for (const strategy of ['replace', 'staged']) {
      const plan = planCutover(observed(), config({strategy, dns: {host: 'rfc2136', rfc2136: {server: '192.0.2.53', key: {name: 'k', secret: 'env:TSIG'}}}}), NOW)
      const state = toPlanState(plan, config({strategy}), '/tmp/x.yaml')
      const back = parsePlanState(JSON.stringify(state), 'x.plan.json')
      expect(back.steps.map((s) => s.status).every((s) => s === 'pending')).toBe(true)
      expect(back.observed.mx).toEqual({ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}]})
      expect(back.observed.soa).toMatchObject({minimum: 300, ttl: 3600})
      expect(back.observed.rrsets.map((r) => `${r.name} ${r.type}`)).toEqual(expect.arrayContaining(['contoso.test MX', 'contoso.test TXT', 'autodiscover.contoso.test CNAME']))
    }
  })

  test('each step records the findings it takes care of, seen by the audit or not; the state keeps how the pre-flight audits again', () => {
    // No findings at all today: the run-time pre-flight may still see them, and must know who handles them.
    const plan = planCutover(observed({mxTtl: 3600, txt: ['v=spf1 mx -all']}), config(), NOW)
    expect(plan.handled).toEqual([])
    expect(step(plan, 'publish-companions').handles).toEqual(expect.arrayContaining(['SPF_TARGET_INCLUDE_MISSING', 'SPF_MISSING', 'TARGET_VERIFICATION_MISSING', 'AUTODISCOVER_MISSING', 'DKIM_TARGET_MISSING']))
    expect(step(plan, 'wait-old-ttl').handles).toEqual(['MX_TTL_HIGH'])
    expect(step(plan, 'swap-mx').handles).toBeUndefined()
    const state = toPlanState(plan, config(), '/tmp/x.yaml', {audit: true, smtp: true, httpsPort: 8443})
    expect(state.preflight).toEqual({audit: true, smtp: true, httpsPort: 8443, source: null, target: {profile: 'microsoft365', mx: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}], verification: 'MS=ms11112222', dkim: DKIM}})
    expect(state.steps.find((s) => s.id === 'publish-companions')?.handles).toContain('TARGET_VERIFICATION_MISSING')
    expect(toPlanState(plan, config({source: {profile: 'google-workspace'}})).preflight).toMatchObject({audit: true, smtp: false, source: 'google-workspace'})
  })

  test('same inputs, same plan', () => {
    expect(planCutover(observed(), config(), NOW)).toEqual(planCutover(observed(), config(), NOW))
  })
})

describe('TXT records split into several strings', () => {
  const split = ['v=spf1 mx include:_spf.google.com ', 'include:spf.b.test -all']
  const apex = (records: Array<string | string[]>) => ({name: 'contoso.test', type: 'TXT', ttl: 3600, records})

  test('the merge, the cleanup and the rollback keep the split; records the plan does not change are carried as served', () => {
    const long = ['google-site-verification=', 'x'.repeat(40)]
    const o = observed({mx: [[1, 'smtp.google.com']], extra: [apex([split, long])]})
    const plan = planCutover(o, config({cleanup: {soak: '3d'}}), NOW)
    expect(plan.blockers).toEqual([])
    const publish = step(plan, 'publish-companions').changes?.find((c) => c.type === 'TXT')
    expect(publish?.before?.records).toEqual([split, long])
    expect(publish?.after?.records).toEqual([['v=spf1 mx include:_spf.google.com ', 'include:spf.b.test include:spf.protection.outlook.com -all'], long, 'MS=ms11112222'])
    const cleanup = step(plan, 'cleanup').changes?.[0]
    expect(cleanup?.before?.records).toEqual(publish?.after?.records)
    expect(cleanup?.after?.records).toEqual([['v=spf1 mx ', 'include:spf.b.test include:spf.protection.outlook.com -all'], long, 'MS=ms11112222'])
    const withdraw = plan.rollback.optional.flatMap((s) => s.changes ?? []).find((c) => c.type === 'TXT')
    expect(withdraw?.after?.records).toEqual([split, long])
    // The plan file holds the strings and reads back the same.
    const state = toPlanState(plan, config({cleanup: {soak: '3d'}}))
    expect(parsePlanState(JSON.stringify(state), 'x.plan.json').steps.find((s) => s.id === 'cleanup')?.changes?.[0].after?.records).toEqual(cleanup?.after?.records)
  })

  test('an SPF that already holds the include is not rewritten, whatever its split', () => {
    const has = ['v=spf1 include:spf.protection.', 'outlook.com -all']
    const plan = planCutover(observed({extra: [apex([has, 'MS=ms11112222'])]}), config(), NOW)
    expect(plan.steps.find((s) => s.id === 'publish-companions')?.changes?.find((c) => c.type === 'TXT')).toBeUndefined()
  })

  test('a DKIM key served in other strings is the same key; an MTA-STS id bump keeps the split', () => {
    const dkim = {name: 'selector1._domainkey.contoso.test', type: 'TXT', ttl: 3600, records: [['v=DKIM1; k=rsa; ', 'p=MIIBkey']]}
    const sts = {name: '_mta-sts.contoso.test', type: 'TXT', ttl: 7200, records: [['v=STSv1; ', 'id=20240101']]}
    const findings = [{code: 'MTA_STS_POLICY_MX_MISMATCH' as const, severity: 'error' as const, subject: 'https://mta-sts.contoso.test/.well-known/mta-sts.txt', message: 'the enforce policy does not list the target MX.'}]
    const cfg = config({target: {profile: 'custom', mx: ['0 mx.target.test'], dkim: [{selector: 'selector1', type: 'TXT', value: 'v=DKIM1; k=rsa; p=MIIBkey'}]}})
    const plan = planCutover(observed({extra: [dkim, sts], findings}), cfg, NOW)
    const changes = plan.steps.flatMap((s) => s.changes ?? [])
    expect(changes.find((c) => c.name === dkim.name)).toBeUndefined()
    expect(plan.notes.join(' ')).not.toMatch(/selector1\._domainkey\.contoso\.test TXT already holds another value/)
    expect(changes.find((c) => c.name === sts.name)?.after?.records).toEqual([['v=STSv1; ', `id=${mtaStsId(NOW)}`]])
  })
})
