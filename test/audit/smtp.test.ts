import {randomInt} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {probeSmtp} from '../../src/audit/smtp.js'
import {startSmtpListener, type SmtpListener} from '../helpers/smtp.js'

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
})
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

  test('the loopback guard refuses other addresses before connecting', async () => {
    await expect(probeSmtp({address: '192.0.2.25', recipient: 'postmaster@contoso.test', timeoutMs: 500})).rejects.toThrow(/MXCUT_LOOPBACK_ONLY/)
  })
})
