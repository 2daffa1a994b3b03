import {randomInt} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {auditDomain, auditDomains, type AuditOptions} from '../../src/audit/audit.js'
import type {AuditBatchJson} from '../../src/plan/audit-domains.js'
import {createDnsClient} from '../../src/dns/client.js'
import {serverLabel} from '../../src/dns/server.js'
import {getProfile} from '../../src/profiles/index.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startSmtpListener, type SmtpListener} from '../helpers/smtp.js'
import {createTestCa, type TestCa} from '../helpers/tls.js'
import {startLab, type Lab, type LabZone} from './lab.js'

/**
 * A tenant's worth of domains: 200 clean zones audited with bounded
 * concurrency, SMTP probes included. Durations are printed for the record,
 * never asserted.
 */
const S = `127.56.${randomInt(0, 256)}`
const COUNT = 200
const names = Array.from({length: COUNT}, (_, i) => `d${String(i).padStart(3, '0')}.test`)

function clean(name: string): LabZone {
  const dash = name.replace(/\./g, '-')
  return {
    name,
    records: [
      '@ 3600 IN MX 10 mail',
      // Today's MX host is probed too: the same listener, with a PTR that confirms.
      `mail IN A ${S}.25`,
      '@ IN TXT "v=spf1 mx include:spf.protection.outlook.com -all"',
      '@ IN TXT "MS=ms12345678"',
      '_dmarc IN TXT "v=DMARC1; p=none"',
      `selector1._domainkey IN CNAME selector1-${dash}._domainkey.contoso.onmicrosoft.com.`,
      `selector2._domainkey IN CNAME selector2-${dash}._domainkey.contoso.onmicrosoft.com.`,
      'autodiscover IN CNAME autodiscover.outlook.com.',
    ],
  }
}

let lab: Lab
let smtp: SmtpListener
let ca: TestCa

beforeAll(async () => {
  // STARTTLS with a certificate for the target hosts, as Exchange Online offers.
  ca = createTestCa()
  smtp = await startSmtpListener(`${S}.25`, 'accept', 0, {tls: ca.issue(['*.mail.protection.outlook.com'])})
  lab = await startLab({
    zones: [
      ...names.map(clean),
      {name: 'protection.outlook.com', records: [`*.mail IN A ${S}.25`, 'spf IN TXT "v=spf1 ip4:127.0.0.0/8 -all"']},
      {name: `${S.split('.').reverse().join('.')}.in-addr.arpa`, records: ['25 IN PTR inbound.mail.protection.outlook.com.']},
    ],
    resolvers: [{}],
  })
}, 180_000)
afterAll(async () => {
  await smtp?.close()
  await lab?.stop()
})

const options = (): Omit<AuditOptions, 'target'> => ({
  client: createDnsClient({timeoutMs: 2000}),
  resolvers: [lab.resolvers[0]],
  nameservers: [],
  timeoutMs: 2000,
  smtp: true,
  smtpPort: smtp.port,
  probeTimeoutMs: 5000,
  ca: ca.caPem,
})

describe(`audit of ${COUNT} domains`, () => {
  test('one domain, in process', async () => {
    const started = performance.now()
    const {report} = await auditDomain(names[0], {...options(), target: {profile: getProfile('microsoft365')}})
    const ms = performance.now() - started
    expect(report.findings).toEqual([])
    console.log(`[audit timing] one domain (in process, SMTP probe included): ${ms.toFixed(0)} ms`)
  })

  test.each([1, 16, 64])('all of them, %i at a time', async (concurrency) => {
    const started = performance.now()
    const results = await auditDomains(names, {...options(), concurrency, targetFor: () => ({profile: getProfile('microsoft365')})})
    const ms = performance.now() - started
    expect(results.filter((r) => !r.ok)).toEqual([])
    expect(results.flatMap((r) => (r.ok ? r.audit.report.findings : []))).toEqual([])
    expect(smtp.sessions.length).toBeGreaterThanOrEqual(2 * COUNT)
    console.log(`[audit timing] ${COUNT} domains, concurrency ${concurrency}: ${ms.toFixed(0)} ms (${(ms / COUNT).toFixed(1)} ms per domain)`)
  })

  test('all of them from the command line', async () => {
    const started = performance.now()
    const r = await runCli(['audit', ...names, '--to', 'microsoft365', '--resolver', serverLabel(lab.resolvers[0]), '--smtp-port', String(smtp.port), '--concurrency', '16', '--json'], {timeoutMs: 170_000, env: {NODE_EXTRA_CA_CERTS: ca.caFile}})
    const ms = performance.now() - started
    expect(r.code, r.stderr).toBe(0)
    const out = parseJson<AuditBatchJson>(r)
    expect(out.domains).toHaveLength(COUNT)
    expect(out.summary).toEqual({error: 0, warning: 0, info: 0})
    console.log(`[audit timing] ${COUNT} domains via the CLI (process start included), concurrency 16: ${ms.toFixed(0)} ms`)
  }, 180_000)
})
