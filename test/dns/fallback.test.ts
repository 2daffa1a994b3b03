import {describe, expect, test} from 'vitest'
import type {DnsClient, QueryOptions, QueryResult} from '../../src/dns/client.js'
import {knownTcpOnly, queryWithTcpFallback} from '../../src/dns/fallback.js'
import type {DnsServer} from '../../src/dns/server.js'

/** A client whose server answers only over TCP (or not at all), counting how it was asked. */
function fakeClient(answersOver: 'tcp' | 'none' | 'udp'): DnsClient & {asked: string[]} {
  const asked: string[] = []
  return {
    asked,
    async query(server, name, type, options: QueryOptions = {}) {
      const transport: QueryResult['transport'] = options.tcp === 'only' ? 'tcp' : 'udp'
      asked.push(transport)
      const base = {server, name, type, aa: true, ra: false, answers: [], authorities: [], additionals: [], transport, rttMs: 1}
      const works = answersOver === transport || (answersOver === 'udp' && transport === 'tcp')
      const r: QueryResult = works ? {...base, status: 'nodata', rcode: 'NOERROR'} : {...base, status: 'timeout', error: 'no answer within 5 ms'}
      return r
    },
  }
}

const server: DnsServer = {kind: 'dns', address: '127.0.0.9', port: 53, name: 'ns9'}

describe('authoritative questions fall back to TCP', () => {
  test('UDP silent, TCP answers: asked over TCP, and TCP at once from then on', async () => {
    const client = fakeClient('tcp')
    expect((await queryWithTcpFallback(client, server, 'contoso.test', 'MX', {recursion: false})).status).toBe('nodata')
    expect(client.asked).toEqual(['udp', 'tcp'])
    expect(knownTcpOnly(client, server)).toBe(true)
    await queryWithTcpFallback(client, server, 'contoso.test', 'SOA', {recursion: false})
    expect(client.asked).toEqual(['udp', 'tcp', 'tcp'])
  })

  test('neither answers: the UDP result, nothing remembered', async () => {
    const client = fakeClient('none')
    const r = await queryWithTcpFallback(client, server, 'contoso.test', 'MX', {recursion: false})
    expect(r.status).toBe('timeout')
    expect(r.transport).toBe('udp')
    expect(knownTcpOnly(client, server)).toBe(false)
  })

  test('UDP answers: TCP is never tried', async () => {
    const client = fakeClient('udp')
    await queryWithTcpFallback(client, server, 'contoso.test', 'MX', {recursion: false})
    expect(client.asked).toEqual(['udp'])
  })
})
