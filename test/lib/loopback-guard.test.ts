import {afterEach, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {isLoopbackAddress, LoopbackOnlyError} from '../../src/lib/loopback-guard.js'
import {parseServer} from '../../src/dns/server.js'

afterEach(() => {
  process.env.MXCUT_LOOPBACK_ONLY = '1'
})

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.53.9.1', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost']) expect(isLoopbackAddress(a), a).toBe(true)
  for (const a of ['8.8.8.8', '10.0.0.1', '192.168.1.1', '::2', '2001:db8::1', 'dns.google']) expect(isLoopbackAddress(a), a).toBe(false)
})

test('with MXCUT_LOOPBACK_ONLY set, a DNS query to a public resolver fails at once with a clear error', async () => {
  // A query that was sent would come back as a timeout/error status; a throw means nothing left the machine.
  expect(process.env.MXCUT_LOOPBACK_ONLY).toBe('1')
  await expect(query(parseServer('8.8.8.8'), 'example.com', 'MX')).rejects.toThrow(LoopbackOnlyError)
  await expect(query(parseServer('8.8.8.8'), 'example.com', 'MX')).rejects.toThrow(/MXCUT_LOOPBACK_ONLY.*loopback/)
  await expect(query(parseServer('https://dns.google/dns-query'), 'example.com', 'MX')).rejects.toThrow(LoopbackOnlyError)
  await expect(query(parseServer('https://8.8.8.8/dns-query'), 'example.com', 'MX')).rejects.toThrow(LoopbackOnlyError)
})

test('the CLI refuses public resolvers in loopback-only mode with one line and exit 2', async () => {
  const {runCli} = await import('../helpers/cli.js')
  const r = await runCli(['inspect', 'contoso.com', '--resolver', 'google'])
  expect(r.code).toBe(2)
  expect(r.stderr.trim()).toMatch(/^mxcut: refusing DNS connection to 8\.8\.8\.8: MXCUT_LOOPBACK_ONLY/)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
})
