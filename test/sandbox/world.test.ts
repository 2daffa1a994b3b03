import {describe, expect, it} from 'vitest'
import {spfTargets, worldNeeds, worldZone} from '../../src/sandbox/world.js'
import {getRRset} from '../../src/sandbox/zone.js'

describe('sandbox stand-ins for names outside the zone', () => {
  it('finds the SPF includes and redirects, skipping macros and other mechanisms', () => {
    expect(spfTargets('v=spf1 include:_spf.google.com ~include:x.example a mx ip4:192.0.2.1 redirect=r.example -all')).toEqual(['_spf.google.com', 'x.example', 'r.example'])
    expect(spfTargets('v=spf1 include:%{d}.example -all')).toEqual([])
    expect(spfTargets('not spf include:x.example')).toEqual([])
  })

  it('collects MX hosts, CNAME targets and DKIM targets outside the zone, and serves a stand-in for each', () => {
    const needs = worldNeeds(
      'contoso.test',
      [
        {name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: 'mx.fabrikam.example'}]},
        {name: 'contoso.test', type: 'TXT', ttl: 300, records: ['v=spf1 include:spf.fabrikam.example -all']},
        {name: 'selector1._domainkey.contoso.test', type: 'CNAME', ttl: 300, records: ['sel1._domainkey.tenant.example']},
      ],
      {hosts: ['contoso-test.mail.protection.outlook.com']},
    )
    expect(needs).toEqual({
      hosts: ['contoso-test.mail.protection.outlook.com', 'mx.fabrikam.example'],
      spf: ['spf.fabrikam.example'],
      dkim: ['sel1._domainkey.tenant.example'],
    })
    const world = worldZone(needs)
    expect(getRRset(world, 'mx.fabrikam.example', 'A')?.records[0]).toMatch(/^192\.0\.2\.\d+$/)
    expect(getRRset(world, 'spf.fabrikam.example', 'TXT')?.records).toEqual(['v=spf1 ip4:192.0.2.0/24 -all'])
  })
})
