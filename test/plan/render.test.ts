// The review shows local clock times: pin the zone before anything formats a date.
process.env.TZ = 'UTC'

import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import type {Finding} from '../../src/audit/types.js'
import {loadConfig} from '../../src/plan/config.js'
import {planCutover, type ObservedDomain} from '../../src/plan/planner.js'
import {changeDiff, planJson, renderGantt, renderGantts, renderMarkdown, renderText} from '../../src/plan/render.js'
import {questionKey} from '../../src/zone/read.js'
import {parseBindZone} from '../../src/zone/zone-file.js'
import type {RRset} from '../../src/zone/rrset.js'
import {config, NOW, observed} from './fixtures.js'

/** tailspin-toys.example as plans/examples/tailspin-toys.zone serves it, with the audit's findings. */
function tailspin(): ObservedDomain {
  const d = 'tailspin-toys.example'
  const rrsets: Record<string, RRset | null> = {}
  for (const set of parseBindZone(readFileSync('plans/examples/tailspin-toys.zone', 'utf8'), {file: 'tailspin-toys.zone'}).rrsets) {
    if (set.type === 'NS' || /^ns\d\./.test(set.name) || (set.name === d && set.type === 'A')) continue
    rrsets[questionKey(set.name, set.type)] = set
  }
  const finding = (code: Finding['code'], severity: Finding['severity'], subject: string, message: string): Finding => ({code, severity, subject, message})
  return {
    domain: d,
    zone: d,
    at: NOW.toISOString(),
    nameservers: [
      {name: 'ns1.tailspin-toys.example', address: '192.0.2.53', port: 53, serial: 2025030301, reachable: true, authoritative: true},
      {name: 'ns2.tailspin-toys.example', address: '198.51.100.53', port: 53, serial: 2025030301, reachable: true, authoritative: true},
    ],
    soa: {mname: 'ns1.tailspin-toys.example', rname: 'hostmaster.tailspin-toys.example', serial: 2025030301, refresh: 3600, retry: 600, expire: 1209600, minimum: 300, ttl: 3600},
    mx: {ttl: 3600, records: [{priority: 1, exchange: 'smtp.google.com'}]},
    rrsets,
    disagreements: [],
    findings: [
      finding('TARGET_VERIFICATION_MISSING', 'error', `${d} TXT (microsoft365 verification)`, `${d} does not publish the verification TXT "MS=ms48213377" the config expects; publish it and complete domain verification in Microsoft 365 before the swap.`),
      finding('AUTODISCOVER_MISSING', 'warning', `autodiscover.${d} CNAME`, `Outlook finds the new mailboxes through autodiscover; publish autodiscover.${d} CNAME autodiscover.outlook.com.`),
      finding('DKIM_TARGET_MISSING', 'warning', `${d} DKIM (microsoft365)`, 'Microsoft 365 signs your mail only once its DKIM selectors are published.'),
      finding('SPF_TARGET_INCLUDE_MISSING', 'warning', `${d} TXT (SPF)`, 'the SPF record does not authorise Microsoft 365 (include:spf.protection.outlook.com).'),
    ],
    audited: true,
    spfCount: {record: 'v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all', lookups: 6, problems: []},
  }
}

describe('review', () => {
  test('Markdown change ticket of the example (snapshot: plans/examples/tailspin-toys.review.md)', async () => {
    const cfg = await loadConfig('plans/examples/tailspin-toys.yaml')
    const plan = planCutover(tailspin(), cfg, NOW)
    expect(plan.blockers).toEqual([])
    const md = renderMarkdown(plan, {planFile: 'plans/tailspin-toys.example.plan.json', now: NOW})
    // What a reviewer must find: the exact diff, the wait of old TTL + margin, the timeline.
    expect(md).toContain('- tailspin-toys.example. 3600 IN MX 1 smtp.google.com.\n+ tailspin-toys.example. 300 IN MX 1 smtp.google.com.')
    expect(md).toContain('- Waits 1 h 01 min (3660 s) after `lower-ttl`')
    expect(md).toMatch(/```mermaid\ngantt\n/)
    expect(md).toContain('## Rollback procedure')
    await expect(md).toMatchFileSnapshot('../../plans/examples/tailspin-toys.review.md')
  })

  test('text review: a table with durations and local clock times', () => {
    const plan = planCutover(observed(), config(), NOW)
    const text = renderText(plan, {planFile: 'plans/contoso.test.plan.json', now: NOW})
    expect(text).toMatch(/wait-old-ttl\s+wait\s+until in 1 h 01 min \(Mon 03 Mar 2025 10:01:00 \S+\)/)
    expect(text).toMatch(/swap-mx\s+dns-change\s+in 1 h 01 min \(Mon 03 Mar 2025 10:01:00 \S+\)/)
    expect(text).toContain('Plan written to plans/contoso.test.plan.json (mode 0600)')
    const refused = renderText(planCutover(observed({serials: [8, 7]}), config(), NOW), {planFile: null, now: NOW})
    expect(refused).toMatch(/Refused: 1 problem/)
    expect(refused).toContain('No plan file written.')
  })

  test('gantt: zero-length steps are milestones, the swap is critical, times in local time', () => {
    const g = renderGantt(planCutover(observed(), config(), NOW)).split('\n')
    expect(g.slice(0, 4)).toEqual(['gantt', '  title contoso.test MX cutover (replace)', '  dateFormat YYYY-MM-DD HH:mm:ss', '  axisFormat %d %b %H:%M'])
    expect(g).toContain('  wait-old-ttl :s4, 2025-03-03 09:00:00, 2025-03-03 10:01:00')
    expect(g.find((l) => l.startsWith('  swap-mx'))).toMatch(/:crit, milestone, s7, 2025-03-03 10:01:00, 0s$/)
    expect(g).toContain('  section Cut over')
  })

  test('diffs: created records, unchanged context, deleted sets', () => {
    expect(changeDiff({name: 'a.test', type: 'CNAME', before: null, after: {name: 'a.test', type: 'CNAME', ttl: 60, records: ['b.test']}})).toEqual(['  ; a.test CNAME does not exist yet', '+ a.test. 60 IN CNAME b.test.'])
    expect(changeDiff({name: 'a.test', type: 'TXT', before: {name: 'a.test', type: 'TXT', ttl: 60, records: ['x', 'y']}, after: {name: 'a.test', type: 'TXT', ttl: 60, records: ['x', 'z']}})).toEqual(['  a.test. 60 IN TXT "x"', '- a.test. 60 IN TXT "y"', '+ a.test. 60 IN TXT "z"'])
    expect(changeDiff({name: 'a.test', type: 'TXT', before: {name: 'a.test', type: 'TXT', ttl: 60, records: ['x']}, after: null})).toEqual(['- a.test. 60 IN TXT "x"', '  ; a.test TXT is deleted'])
  })

  test('json: steps with estimated start and end, findings with the step that handles them', () => {
    const plan = planCutover(tailspin(), config({domain: 'tailspin-toys.example', target: {profile: 'microsoft365', verification: 'MS=ms48213377', dkim: false}}), NOW)
    const json = planJson(plan, {planFile: null, now: NOW}) as {steps: Array<{id: string; estimatedEnd: string}>; findings: Array<{code: string; handledBy: string | null}>; blocked: boolean}
    expect(json.blocked).toBe(false)
    expect(json.steps.find((s) => s.id === 'wait-old-ttl')?.estimatedEnd).toBe('2025-03-03T10:01:00.000Z')
    expect(json.findings.find((f) => f.code === 'TARGET_VERIFICATION_MISSING')?.handledBy).toBe('publish-companions')
  })

  test('a TXT split into several strings shows each string quoted, in the diff and in both reviews', () => {
    const split = ['v=spf1 mx include:_spf.google.com ', 'include:spf.b.test -all']
    const o = observed({mx: [[1, 'smtp.google.com']], extra: [{name: 'contoso.test', type: 'TXT', ttl: 3600, records: [split, 'MS=ms11112222']}]})
    const plan = planCutover(o, config(), NOW)
    const change = plan.steps.find((st) => st.id === 'publish-companions')?.changes?.find((c) => c.type === 'TXT')
    expect(change && changeDiff(change)).toEqual([
      '  contoso.test. 3600 IN TXT "MS=ms11112222"',
      '- contoso.test. 3600 IN TXT "v=spf1 mx include:_spf.google.com " "include:spf.b.test -all"',
      '+ contoso.test. 3600 IN TXT "v=spf1 mx include:_spf.google.com " "include:spf.b.test include:spf.protection.outlook.com -all"',
    ])
    const md = renderMarkdown(plan, {planFile: 'plans/contoso.test.plan.json', now: NOW})
    expect(md).toContain('+ contoso.test. 3600 IN TXT "v=spf1 mx include:_spf.google.com " "include:spf.b.test include:spf.protection.outlook.com -all"')
    expect(renderText(plan, {planFile: 'plans/contoso.test.plan.json', now: NOW})).toContain('"v=spf1 mx include:_spf.google.com " "include:spf.b.test include:spf.protection.outlook.com -all"')
  })
})

describe('Markdown review for people who render it', () => {
  test('angle brackets are escaped (a raw <tenant> would vanish as HTML); times carry the year and the zone', async () => {
    const cfg = await loadConfig('plans/examples/tailspin-toys.yaml')
    const o = tailspin()
    o.findings.push({code: 'DKIM_TARGET_MISSING', severity: 'warning', subject: 'selector1._domainkey CNAME', message: 'publish selector1-tailspin-toys-example._domainkey.<tenant>.onmicrosoft.com; probes send RCPT TO:<postmaster@tailspin-toys.example>'})
    const md = renderMarkdown(planCutover(o, cfg, NOW), {planFile: null, now: NOW})
    expect(md).toContain('._domainkey.&lt;tenant&gt;.onmicrosoft.com; probes send RCPT TO:&lt;postmaster@tailspin-toys.example&gt;')
    expect(md).not.toMatch(/<tenant>/)
    expect(md).toMatch(/\| Planned \| Mon 03 Mar 2025 \d{2}:00:00 \S+, from the authoritative servers \|/)
  })

  test('the week-long soak gets a chart of its own, so the hour of the cutover is not squashed', async () => {
    const plan = planCutover(tailspin(), await loadConfig('plans/examples/tailspin-toys.yaml'), NOW)
    const charts = renderGantts(plan)
    expect(charts).toHaveLength(2)
    expect(charts[0]).toContain('restore-ttl')
    expect(charts[0]).not.toContain('soak')
    expect(charts[1]).toMatch(/title tailspin-toys\.example after the cutover soak \(7 d\) and what follows/)
    expect(charts[1]).toMatch(/^ {2}soak \(optional\) :s13, /m)
    expect(charts[1]).toMatch(/^ {2}cleanup/m)
    // Without a long wait after the swap, one chart.
    expect(renderGantts(planCutover(observed(), config(), NOW))).toHaveLength(1)
  })
})
