import {randomInt} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createHash, X509Certificate} from 'node:crypto'
import {probeSmtp} from '../../src/audit/smtp.js'
import {tlsaMatches} from '../../src/audit/smtp-tls.js'
import {startSmtpListener, type SmtpListener} from '../helpers/smtp.js'
import {createTestCa, type TestCa} from '../helpers/tls.js'

// Crosses the wire: real TCP on loopback against a small SMTP server.
const block = `127.55.${randomInt(0, 256)}`
const listeners: Record<string, SmtpListener> = {}

beforeAll(async () => {
  listeners.accept = await startSmtpListener(`${block}.1`, 'accept')
  const port = listeners.accept.port
  listeners.reject = await startSmtpListener(`${block}.2`, 'reject-rcpt', port)
  listeners.tempfail = await startSmtpListener(`${block}.3`, 'tempfail-rcpt', port)
  listeners.client = await startSmtpListener(`${block}.4`, 'reject-client', port)
  listeners.hang = await startSmtpListener(`${block}.5`, 'hang', port)
  ca = createTestCa()
  leaf = ca.issue(['mx.contoso.test'])
  listeners.tls = await startSmtpListener(`${block}.7`, 'accept', port, {tls: leaf})
  listeners.broken = await startSmtpListener(`${block}.8`, 'accept', port, {tls: 'broken'})
})
let ca: TestCa
let leaf: {key: string; cert: string}
afterAll(async () => {
  await Promise.all(Object.values(listeners).map((l) => l.close()))
})

const probe = (address: string) => probeSmtp({address, port: listeners.accept.port, recipient: 'postmaster@contoso.test', timeoutMs: 1000})

describe('SMTP probe', () => {
  test('accepted: EHLO, MAIL FROM:<>, RCPT TO:<postmaster@…>, QUIT, and never DATA', async () => {
    const r = await probe(`${block}.1`)
    expect(r).toMatchObject({outcome: 'accepted', stage: 'rcpt', code: 250})
    // QUIT is sent as the socket closes: give the server a moment to read it.
    await new Promise((res) => setTimeout(res, 100))
    const session = listeners.accept.sessions.at(-1) ?? []
    expect(session[0]).toMatch(/^EHLO \[127\.\d+\.\d+\.\d+\]$/)
    expect(session.slice(1)).toEqual(['MAIL FROM:<>', 'RCPT TO:<postmaster@contoso.test>', 'QUIT'])
    expect(listeners.accept.sessions.flat().some((l) => /^DATA/i.test(l))).toBe(false)
  })

  test('rejected: a 5xx to RCPT, with the server text', async () => {
    const r = await probe(`${block}.2`)
    expect(r).toMatchObject({outcome: 'rejected', stage: 'rcpt', code: 554})
    expect(r.reply).toMatch(/Relay access denied/)
  })

  test('tempfail: a 4xx to RCPT', async () => {
    expect(await probe(`${block}.3`)).toMatchObject({outcome: 'tempfail', stage: 'rcpt', code: 451})
  })

  test('refused-client: a 554 banner', async () => {
    expect(await probe(`${block}.4`)).toMatchObject({outcome: 'refused-client', stage: 'greeting', code: 554})
  })

  test('unreachable: a port that accepts and never greets ends at the timeout', async () => {
    const r = await probe(`${block}.5`)
    expect(r).toMatchObject({outcome: 'unreachable', stage: 'greeting'})
    expect(r.error).toMatch(/no greeting within 1000 ms/)
  })

  test('unreachable: nothing listening', async () => {
    const r = await probe(`${block}.6`)
    expect(r).toMatchObject({outcome: 'unreachable', stage: 'connect'})
    expect(r.error).toMatch(/ECONNREFUSED/)
  })

  test('no STARTTLS offered: said so, and the conversation goes on in the clear', async () => {
    expect((await probe(`${block}.1`)).tls).toEqual({offered: false, established: false})
  })

  test('STARTTLS: the handshake, EHLO again inside TLS, the certificate described, never DATA', async () => {
    const r = await probeSmtp({address: `${block}.7`, port: listeners.accept.port, host: 'mx.contoso.test', recipient: 'postmaster@contoso.test', timeoutMs: 2000, ca: ca.caPem})
    expect(r).toMatchObject({outcome: 'accepted', code: 250, tls: {offered: true, established: true, certificate: {names: ['mx.contoso.test'], coversHost: true, trusted: true, issuer: 'mxcut test CA'}}})
    expect(r.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
    await new Promise((res) => setTimeout(res, 100))
    const session = listeners.tls.sessions.at(-1) ?? []
    expect(session.map((l) => l.split(' ')[0])).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'MAIL', 'RCPT', 'QUIT'])
    expect(listeners.tls.secured.at(-1)).toBe(true)
  })

  test('a certificate for another name, or from a CA not trusted here, is described, not refused', async () => {
    const wrongName = await probeSmtp({address: `${block}.7`, port: listeners.accept.port, host: 'mx.fabrikam.test', recipient: 'postmaster@contoso.test', timeoutMs: 2000, ca: ca.caPem})
    expect(wrongName).toMatchObject({outcome: 'accepted', tls: {established: true, certificate: {coversHost: false, trusted: true}}})
    const untrusted = await probeSmtp({address: `${block}.7`, port: listeners.accept.port, host: 'mx.contoso.test', recipient: 'postmaster@contoso.test', timeoutMs: 2000})
    expect(untrusted).toMatchObject({outcome: 'accepted', tls: {established: true, certificate: {coversHost: true, trusted: false}}})
    expect(untrusted.tls?.certificate?.trustError).toMatch(/UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED|UNABLE_TO_VERIFY/)
  })

  test('a failed handshake: the TLS error is kept and a second connection in the clear learns the RCPT result', async () => {
    const before = listeners.broken.sessions.length
    const r = await probeSmtp({address: `${block}.8`, port: listeners.accept.port, host: 'mx.contoso.test', recipient: 'postmaster@contoso.test', timeoutMs: 2000})
    expect(r).toMatchObject({outcome: 'accepted', tls: {offered: true, established: false}})
    expect(r.tls?.error).toMatch(/TLS handshake failed|closed/)
    expect(listeners.broken.sessions.length - before).toBe(2)
    await new Promise((res) => setTimeout(res, 100))
    expect(listeners.broken.sessions.at(-1)?.map((l) => l.split(' ')[0])).toEqual(['EHLO', 'MAIL', 'RCPT', 'QUIT'])
  })

  test('TLSA association data (RFC 6698 §2.1) matches the certificate or its key', async () => {
    const r = await probeSmtp({address: `${block}.7`, port: listeners.accept.port, host: 'mx.contoso.test', recipient: 'postmaster@contoso.test', timeoutMs: 2000, ca: ca.caPem})
    const cert = r.tls?.certificate
    if (!cert) throw new Error('no certificate')
    const x509 = new X509Certificate(leaf.cert)
    expect(cert.der).toBe(x509.raw.toString('hex'))
    const spki = x509.publicKey.export({type: 'spki', format: 'der'})
    expect(tlsaMatches({usage: 3, selector: 1, matchingType: 1, certificate: createHash('sha256').update(spki).digest('hex')}, cert)).toBe(true)
    expect(tlsaMatches({usage: 3, selector: 0, matchingType: 2, certificate: createHash('sha512').update(x509.raw).digest('hex')}, cert)).toBe(true)
    expect(tlsaMatches({usage: 3, selector: 0, matchingType: 0, certificate: x509.raw.toString('hex')}, cert)).toBe(true)
    expect(tlsaMatches({usage: 3, selector: 1, matchingType: 1, certificate: 'ab'.repeat(32)}, cert)).toBe(false)
  })

  test('the loopback guard refuses other addresses before connecting', async () => {
    await expect(probeSmtp({address: '192.0.2.25', recipient: 'postmaster@contoso.test', timeoutMs: 500})).rejects.toThrow(/MXCUT_LOOPBACK_ONLY/)
  })
})
