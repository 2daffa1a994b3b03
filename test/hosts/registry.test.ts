import {describe, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {powerdnsSettingsSchema} from '../../src/hosts/providers/powerdns.js'
import {rfc2136SettingsSchema} from '../../src/hosts/providers/rfc2136.js'
import {route53SettingsSchema} from '../../src/hosts/providers/route53.js'
import {createHost} from '../../src/hosts/registry.js'

const deps = {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}}

describe('host settings', () => {
  test('rfc2136: IP[:PORT] servers, secret references only, defaults', () => {
    const ok = rfc2136SettingsSchema.parse({server: '192.0.2.53:5353', key: {name: 'mxcut', secret: 'env:TSIG'}})
    expect(ok).toEqual({server: '192.0.2.53:5353', key: {name: 'mxcut', algorithm: 'hmac-sha256', secret: 'env:TSIG'}, transport: 'udp'})
    expect(rfc2136SettingsSchema.safeParse({server: '[2001:db8::53]:53', key: {name: 'k', algorithm: 'hmac-sha512', secret: 'file:/etc/k'}}).success).toBe(true)
    expect(rfc2136SettingsSchema.safeParse({server: 'ns1.contoso.com', key: {name: 'k', secret: 'env:T'}}).success).toBe(false)
    expect(rfc2136SettingsSchema.safeParse({server: '192.0.2.53', key: {name: 'k', secret: 'c2VjcmV0c2VjcmV0c2VjcmV0'}}).success).toBe(false)
    expect(rfc2136SettingsSchema.safeParse({server: '192.0.2.53', key: {name: 'k', algorithm: 'hmac-md5', secret: 'env:T'}}).success).toBe(false)
    expect(rfc2136SettingsSchema.safeParse({server: '192.0.2.53', key: {name: 'k', secret: 'env:T'}, extra: 1}).success).toBe(false)
  })

  test('powerdns and route53 defaults and references', () => {
    expect(powerdnsSettingsSchema.parse({url: 'http://127.0.0.1:8081', apiKey: 'env:PDNS'})).toMatchObject({serverId: 'localhost'})
    expect(powerdnsSettingsSchema.safeParse({url: 'ftp://x', apiKey: 'env:PDNS'}).success).toBe(false)
    expect(route53SettingsSchema.safeParse({hostedZoneId: 'Z1', accessKeyId: 'AKIA123'}).success).toBe(false)
  })

  test('createHost: a missing or bad block is one line naming the field', () => {
    expect(() => createHost({host: 'rfc2136'}, deps)).toThrow(/dns\.host is rfc2136 but the dns\.rfc2136 block is missing/)
    expect(() => createHost({host: 'rfc2136', rfc2136: {server: 'nope', key: {name: 'k', secret: 'env:T'}}}, deps)).toThrow(/^dns\.rfc2136\.server: must be an IP address/)
    expect(() => createHost({host: 'powerdns', powerdns: {url: 'http://127.0.0.1', apiKey: 'plain-key'}}, deps)).toThrow(/dns\.powerdns\.apiKey: must be a reference/)
    expect(createHost({host: 'manual'}, deps)).toMatchObject({name: 'manual', atomic: false})
    expect(createHost({host: 'rfc2136', rfc2136: {server: '127.0.0.1', key: {name: 'k', secret: 'env:T'}}}, deps)).toMatchObject({name: 'rfc2136', atomic: true})
  })
})
