import {describe, expect, it} from 'vitest'
import {applyUpdates, checkPrerequisites, createZone, getRRset, lookup, serialGreater} from '../../src/sandbox/zone.js'

const SOA = {mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: 4294967295, refresh: 3600, retry: 600, expire: 86400, minimum: 60}
const zone = () =>
  createZone('contoso.test', {ttl: 300, data: SOA}, [
    {name: 'contoso.test', type: 'NS', ttl: 300, records: ['ns1.contoso.test']},
    {name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 10, exchange: 'a.example'}, {priority: 20, exchange: 'b.example'}]},
    {name: 'alias.contoso.test', type: 'CNAME', ttl: 300, records: ['contoso.test']},
  ])

describe('sandbox zone data (RFC 2136 semantics)', () => {
  it('value-dependent prerequisites compare the whole RRset, in any order', () => {
    const z = zone()
    const mx = (priority: number, exchange: string) => ({name: 'contoso.test', type: 'MX', class: 'IN', ttl: 0, data: {priority, exchange}})
    expect(checkPrerequisites(z, [mx(20, 'b.example'), mx(10, 'a.example')])).toBe('NOERROR')
    expect(checkPrerequisites(z, [mx(10, 'a.example')])).toBe('NXRRSET')
    expect(checkPrerequisites(z, [{name: 'new.contoso.test', type: 'ANY', class: 'NONE', ttl: 0, data: null}])).toBe('NOERROR')
    expect(checkPrerequisites(z, [{name: 'contoso.test', type: 'MX', class: 'NONE', ttl: 0, data: null}])).toBe('YXRRSET')
    expect(checkPrerequisites(z, [{name: 'other.example', type: 'MX', class: 'ANY', ttl: 0, data: null}])).toBe('NOTZONE')
    expect(checkPrerequisites(z, [{name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 5, data: null}])).toBe('FORMERR')
  })

  it('replaces an RRset in one update, raises the serial with RFC 1982 wrap-around, and leaves the input untouched', () => {
    const z = zone()
    const r = applyUpdates(z, [
      {name: 'contoso.test', type: 'MX', class: 'ANY', ttl: 0, data: null},
      {name: 'contoso.test', type: 'MX', class: 'IN', ttl: 60, data: {priority: 0, exchange: 'new.example'}},
    ])
    expect(r).toMatchObject({rcode: 'NOERROR', changed: true})
    expect(getRRset(r.zone, 'contoso.test', 'MX')).toEqual({name: 'contoso.test', type: 'MX', ttl: 60, records: [{priority: 0, exchange: 'new.example'}]})
    expect(r.zone.soa.data.serial).toBe(1)
    expect(serialGreater(1, 4294967295)).toBe(true)
    expect(getRRset(z, 'contoso.test', 'MX')?.records).toHaveLength(2)
  })

  it('an update that changes nothing keeps the serial; apex NS and SOA cannot be deleted; CNAME and data do not mix', () => {
    const z = zone()
    const same = applyUpdates(z, [{name: 'contoso.test', type: 'MX', class: 'IN', ttl: 300, data: {priority: 10, exchange: 'a.example'}}])
    expect(same.changed).toBe(false)
    const r = applyUpdates(z, [
      {name: 'contoso.test', type: 'NS', class: 'ANY', ttl: 0, data: null},
      {name: 'contoso.test', type: 'SOA', class: 'ANY', ttl: 0, data: null},
      {name: 'alias.contoso.test', type: 'A', class: 'IN', ttl: 300, data: '192.0.2.1'},
    ])
    expect(r.changed).toBe(false)
    expect(getRRset(r.zone, 'contoso.test', 'NS')).not.toBeNull()
  })

  it('lookups follow in-zone aliases and tell NXDOMAIN from NODATA', () => {
    const z = zone()
    expect(lookup(z, 'alias.contoso.test', 'MX')).toMatchObject({kind: 'answer', chain: [{type: 'CNAME'}, {type: 'MX'}]})
    expect(lookup(z, 'contoso.test', 'TXT').kind).toBe('nodata')
    expect(lookup(z, 'nope.contoso.test', 'A').kind).toBe('nxdomain')
  })
})
