import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {serverLabel} from '../../src/dns/server.js'
import {startLab, type Lab} from './lab.js'
import {startPdns, type Pdns} from './pdns.js'

// No secret is ever printed: a succeeding and a failing run of each host with
// a real server, in their own process, with every byte of output grepped for
// the secret (the probe prints full error objects with stack and causes).

const probe = fileURLToPath(new URL('../hosts/fixtures/secret-probe.ts', import.meta.url))
let lab: Lab
let pdns: Pdns

beforeAll(async () => {
  ;[lab, pdns] = await Promise.all([startLab({zones: [{name: 'contoso.test', dynamic: true, records: ['@ 600 IN MX 10 mail.fabrikam.test.']}]}), startPdns()])
  await pdns.createZone('contoso.test', [{name: 'contoso.test', type: 'MX', ttl: 600, contents: ['10 mail.fabrikam.test.']}])
})
afterAll(async () => Promise.all([lab?.stop(), pdns?.stop()]))

function run(env: Record<string, string>): Promise<{code: number | null; output: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--no-warnings', probe], {env: {...process.env, MXCUT_LOOPBACK_ONLY: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.on('close', (code) => resolve({code, output}))
  })
}

const swap = (exchange: string) => JSON.stringify([{action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange}]}])

describe('no secret in any output', () => {
  test('rfc2136: a signed update that works, and one refused (BADSIG)', async () => {
    const secret = lab.tsig.sha256.secret
    const config = JSON.stringify({host: 'rfc2136', rfc2136: {server: serverLabel(lab.primary), key: {name: lab.tsig.sha256.name, algorithm: 'hmac-sha256', secret: 'env:PROBE_SECRET'}}})
    const ok = await run({PROBE_CONFIG: config, PROBE_ZONE: 'contoso.test', PROBE_CHANGES: swap('new.fabrikam.test'), PROBE_SECRET: secret})
    expect(ok.code, ok.output).toBe(0)
    expect(ok.output).toContain('applied')
    const wrong = Buffer.alloc(32, 9).toString('base64')
    const bad = await run({PROBE_CONFIG: config, PROBE_ZONE: 'contoso.test', PROBE_CHANGES: swap('evil.fabrikam.test'), PROBE_SECRET: wrong})
    expect(bad.code).toBe(2)
    expect(bad.output).toMatch(/BADSIG/)
    for (const out of [ok.output, bad.output]) {
      expect(out).not.toContain(secret)
      expect(out).not.toContain(wrong)
      expect(out).not.toContain(Buffer.from(secret, 'base64').toString('hex'))
    }
  })

  test('powerdns: a PATCH that works, and one with a wrong key', async () => {
    const config = JSON.stringify({host: 'powerdns', powerdns: {url: pdns.apiUrl, apiKey: 'env:PROBE_SECRET'}})
    const ok = await run({PROBE_CONFIG: config, PROBE_ZONE: 'contoso.test', PROBE_CHANGES: swap('new.fabrikam.test'), PROBE_SECRET: pdns.apiKey})
    expect(ok.code, ok.output).toBe(0)
    const wrong = 'wrong-' + pdns.apiKey.slice(0, 8)
    const bad = await run({PROBE_CONFIG: config, PROBE_ZONE: 'contoso.test', PROBE_CHANGES: swap('evil.fabrikam.test'), PROBE_SECRET: wrong})
    expect(bad.code).toBe(2)
    expect(bad.output).toMatch(/HTTP 401/)
    for (const out of [ok.output, bad.output]) {
      expect(out).not.toContain(pdns.apiKey)
      expect(out).not.toContain(wrong)
    }
  })
})
