import {describe, expect, test} from 'vitest'
import {parseResolvers, parseServer, serverLabel} from '../../src/dns/server.js'

describe('parseServer', () => {
  test('IPv4, IPv4:port, IPv6, [IPv6]:port, DoH', () => {
    expect(parseServer('192.0.2.1')).toMatchObject({kind: 'dns', address: '192.0.2.1', port: 53})
    expect(parseServer('127.0.0.1:5353')).toMatchObject({address: '127.0.0.1', port: 5353})
    expect(parseServer('2001:db8::1')).toMatchObject({address: '2001:db8::1', port: 53})
    expect(parseServer('[::1]:5300')).toMatchObject({address: '::1', port: 5300})
    expect(parseServer('https://dns.example/dns-query')).toMatchObject({kind: 'doh', url: 'https://dns.example/dns-query'})
  })
  test.each(['ns1.contoso.com', '127.0.0.1:0', '127.0.0.1:70000', 'http://x/dns-query', '1.2.3', ''])('rejects %j', (s) => {
    expect(() => parseServer(s)).toThrow()
  })
  test('labels round-trip', () => {
    expect(serverLabel(parseServer('[::1]:5300'))).toBe('[::1]:5300')
    expect(serverLabel(parseServer('127.0.0.1:53'))).toBe('127.0.0.1')
  })
})

test('resolver names expand to their public addresses', () => {
  const list = parseResolvers(['google', 'quad9', '127.0.0.1:5301'])
  expect(list.map((s) => (s.kind === 'dns' ? s.address : s.url))).toEqual(['8.8.8.8', '8.8.4.4', '9.9.9.9', '149.112.112.112', '127.0.0.1'])
  expect(parseResolvers(['cloudflare-doh'])[0]).toMatchObject({kind: 'doh', url: 'https://cloudflare-dns.com/dns-query'})
})
