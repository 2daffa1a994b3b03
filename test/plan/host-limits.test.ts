import {describe, expect, test} from 'vitest'
import {planCutover} from '../../src/plan/planner.js'
import {config, NOW, observed} from './fixtures.js'

const cloudflare = {host: 'cloudflare', cloudflare: {apiToken: 'env:CF_TOKEN'}}
const rfc2136 = (algorithm: string) => ({host: 'rfc2136', rfc2136: {server: '192.0.2.53', key: {name: 'mxcut', algorithm, secret: 'env:TSIG'}}})

describe("the DNS host's limits in the plan", () => {
  test('a lowered TTL under the host minimum (Cloudflare: 60 s) is refused at plan time, with the value to use', () => {
    const plan = planCutover(observed({mxTtl: 3600}), config({ttl: {lowered: 30}, dns: cloudflare}), NOW)
    expect(plan.blockers).toContainEqual({
      code: 'TTL_BELOW_HOST_MINIMUM',
      subject: 'contoso.test MX (lower-ttl)',
      message: expect.stringMatching(/^step lower-ttl sets contoso\.test MX to TTL 30 s, but the cloudflare host accepts no TTL under 60 s: set ttl\.lowered: 60 in the config, then plan again$/),
    })
    expect(planCutover(observed({mxTtl: 3600}), config({ttl: {lowered: 60}, dns: cloudflare}), NOW).blockers).toEqual([])
    // The manual host (any DNS console) takes what it is given.
    expect(planCutover(observed({mxTtl: 3600}), config({ttl: {lowered: 30}}), NOW).blockers).toEqual([])
  })

  test('a final TTL under the minimum names ttl.final', () => {
    const final = planCutover(observed({mxTtl: 3600}), config({ttl: {lowered: 30, final: 50}, dns: cloudflare}), NOW)
    expect(final.blockers.map((b) => b.message)).toContainEqual(expect.stringMatching(/step restore-ttl sets contoso\.test MX to TTL 50 s.*set ttl\.final: 60/))
  })

  test("the host's notes reach the review: an hmac-sha1 TSIG key is named as deprecated", () => {
    const sha1 = planCutover(observed(), config({dns: rfc2136('hmac-sha1')}), NOW)
    expect(sha1.notes).toContainEqual(expect.stringMatching(/^TSIG key 'mxcut' uses hmac-sha1, which RFC 8945 §6 deprecates/))
    expect(planCutover(observed(), config({dns: rfc2136('hmac-sha256')}), NOW).notes.join('\n')).not.toMatch(/deprecates/)
  })

  test('a PowerDNS primary with secondaries of another make: a note naming the late NOTIFY, and a minute per change in the estimates', () => {
    const base = observed()
    const lagging = {
      ...base,
      nameservers: base.nameservers.map((n, i) => ({...n, software: i === 0 ? 'PowerDNS Authoritative Server 4.7.3' : '9.18.24-1-Debian'})),
      updateServer: {label: '192.0.2.1', software: 'PowerDNS Authoritative Server 4.7.3'},
    }
    const quick = planCutover(base, config({dns: rfc2136('hmac-sha256')}), NOW)
    const slow = planCutover(lagging, config({dns: rfc2136('hmac-sha256')}), NOW)
    expect(slow.notes).toContainEqual(expect.stringMatching(/^PowerDNS at 192\.0\.2\.1 sends NOTIFY for a change only at its next xfr-cycle-interval check \(60 s by default\).*: ns2\.contoso\.test may serve each change up to 60 s after it is made/))
    expect(quick.notes.join('\n')).not.toMatch(/xfr-cycle-interval/)
    const start = (plan: typeof slow, id: string) => new Date(plan.steps.find((s) => s.id === id)?.estimatedStart ?? '').getTime()
    // publish-companions and lower-ttl come before the swap: two changes, two minutes later.
    expect(start(slow, 'swap-mx') - start(quick, 'swap-mx')).toBe(120_000)
    // All PowerDNS (replicated by its database): no lag to tell.
    const allPdns = {...lagging, nameservers: lagging.nameservers.map((n) => ({...n, software: 'PowerDNS Authoritative Server 4.7.3'}))}
    expect(planCutover(allPdns, config({dns: rfc2136('hmac-sha256')}), NOW).notes.join('\n')).not.toMatch(/xfr-cycle-interval/)
    // The PowerDNS API as a hidden primary: every name server is a secondary of another make.
    const hidden = {...base, nameservers: base.nameservers.map((n) => ({...n, software: 'NSD 4.6.1'}))}
    const api = planCutover(hidden, config({dns: {host: 'powerdns', powerdns: {url: 'http://192.0.2.10:8081', apiKey: 'env:PDNS'}}}), NOW)
    expect(api.notes).toContainEqual(expect.stringMatching(/^PowerDNS at http:\/\/192\.0\.2\.10:8081 sends NOTIFY .*: ns1\.contoso\.test, ns2\.contoso\.test may serve each change/))
  })
})
