import {createHash} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import type {LookupFn} from '../../src/audit/lookup.js'
import type {SmtpProbeResult} from '../../src/audit/smtp.js'
import {auditStartTls} from '../../src/audit/starttls.js'
import type {CertificateReport} from '../../src/audit/smtp-tls.js'

/** The severity logic on probe results as data; test/audit/smtp.test.ts and the lab test probe real listeners. */

const spki = 'aa'.repeat(40)
const cert = (over: Partial<CertificateReport> = {}): CertificateReport => ({
  subject: 'mx.contoso.test',
  issuer: 'Some CA',
  names: ['mx.contoso.test'],
  validTo: '2030-01-01T00:00:00.000Z',
  coversHost: true,
  trusted: true,
  der: 'bb'.repeat(40),
  spki,
  ...over,
})
const probe = (tls: SmtpProbeResult['tls']): SmtpProbeResult => ({address: '192.0.2.25', port: 25, outcome: 'accepted', stage: 'rcpt', code: 250, tls})
const host = (tls: SmtpProbeResult['tls']) => ({exchange: 'mx.contoso.test', probe: probe(tls)})

function tlsa(records: Array<{usage: number; selector: number; matchingType: number; certificate: string}> | 'servfail'): LookupFn {
  return async (name, type) => {
    if (records === 'servfail') return {name, type, status: 'servfail', answers: [], from: '192.0.2.53'}
    return {name, type, status: records.length ? 'ok' : 'nxdomain', answers: records.map((data) => ({name, type: 'TLSA', ttl: 60, data})), from: 'fake'}
  }
}
const none = tlsa([])
const found = (fs: Array<{code: string; severity: string}>) => fs.map((f) => [f.code, f.severity])

describe('STARTTLS and certificates of the probed MX hosts', () => {
  test('STARTTLS with a certificate for the host from a trusted CA: nothing to say', async () => {
    expect(await auditStartTls([host({offered: true, established: true, certificate: cert()})], {stsEnforce: true, lookup: none})).toEqual([])
  })

  test('no STARTTLS: a warning, an error under an MTA-STS enforce policy or with TLSA records', async () => {
    const plain = host({offered: false, established: false})
    expect(found(await auditStartTls([plain], {stsEnforce: false, lookup: none}))).toEqual([['SMTP_STARTTLS_MISSING', 'warning']])
    const enforced = await auditStartTls([plain], {stsEnforce: true, lookup: none})
    expect(found(enforced)).toEqual([['SMTP_STARTTLS_MISSING', 'error']])
    expect(enforced[0].message).toMatch(/MTA-STS policy is in enforce mode/)
    const dane = await auditStartTls([plain], {stsEnforce: false, lookup: tlsa([{usage: 3, selector: 1, matchingType: 1, certificate: 'cc'.repeat(32)}])})
    expect(found(dane)).toEqual([['SMTP_STARTTLS_MISSING', 'error']])
    expect(dane[0].message).toMatch(/TLSA records/)
  })

  test('STARTTLS offered but failing counts as missing', async () => {
    const r = await auditStartTls([host({offered: true, established: false, error: 'TLS handshake failed: wrong version number'})], {stsEnforce: false, lookup: none})
    expect(found(r)).toEqual([['SMTP_STARTTLS_MISSING', 'warning']])
    expect(r[0].message).toMatch(/wrong version number/)
  })

  test('a certificate for another name or not trusted: a warning, an error where TLS is enforced', async () => {
    const wrong = host({offered: true, established: true, certificate: cert({coversHost: false, names: ['other.test']})})
    const r = await auditStartTls([wrong], {stsEnforce: false, lookup: none})
    expect(found(r)).toEqual([['SMTP_CERT_MISMATCH', 'warning']])
    expect(r[0].message).toMatch(/does not cover mx\.contoso\.test \(it names other\.test\)/)
    expect(found(await auditStartTls([wrong], {stsEnforce: true, lookup: none}))).toEqual([['SMTP_CERT_MISMATCH', 'error']])
    const untrusted = host({offered: true, established: true, certificate: cert({trusted: false, trustError: 'SELF_SIGNED_CERT_IN_CHAIN'})})
    expect((await auditStartTls([untrusted], {stsEnforce: false, lookup: none}))[0].message).toMatch(/does not chain to a trusted root \(SELF_SIGNED_CERT_IN_CHAIN/)
  })

  test('DANE-EE: a self-signed certificate its TLSA record pins is fine; one it does not match is an error', async () => {
    const selfSigned = host({offered: true, established: true, certificate: cert({trusted: false, coversHost: false, trustError: 'DEPTH_ZERO_SELF_SIGNED_CERT'})})
    const pin = createHash('sha256').update(Buffer.from(spki, 'hex')).digest('hex')
    expect(await auditStartTls([selfSigned], {stsEnforce: false, lookup: tlsa([{usage: 3, selector: 1, matchingType: 1, certificate: pin}])})).toEqual([])
    const stale = await auditStartTls([host({offered: true, established: true, certificate: cert()})], {stsEnforce: false, lookup: tlsa([{usage: 3, selector: 1, matchingType: 1, certificate: 'cc'.repeat(32)}])})
    expect(found(stale)).toEqual([['SMTP_CERT_MISMATCH', 'error']])
    expect(stale[0].message).toMatch(/matches none of its TLSA records/)
  })

  test('a TLSA lookup that fails: the finding stays a warning and the lookup is incomplete', async () => {
    const r = await auditStartTls([host({offered: false, established: false})], {stsEnforce: false, lookup: tlsa('servfail')})
    expect(found(r)).toEqual([['CHECK_INCOMPLETE', 'warning'], ['SMTP_STARTTLS_MISSING', 'warning']])
    expect(r[0].subject).toBe('_25._tcp.mx.contoso.test TLSA')
  })

  test('a host not probed, or whose conversation ended before EHLO, says nothing about TLS', async () => {
    expect(await auditStartTls([{exchange: 'mx.contoso.test'}, {exchange: 'mx2.contoso.test', probe: {...probe(undefined), outcome: 'unreachable', stage: 'connect'}}], {stsEnforce: true, lookup: none})).toEqual([])
  })
})
