import {randomBytes, randomInt} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import {DnsHostError} from '../../src/hosts/types.js'
import {bounded, escapeControl, oneLine} from '../../src/lib/bounded.js'
import {UserError} from '../../src/lib/errors.js'
import {fsError} from '../../src/lib/fs-errors.js'
import {redact, redactDeep, redactError, registerSecret} from '../../src/lib/redact.js'
import {registerConfiguredSecrets, secretRefsIn} from '../../src/lib/secrets.js'

describe('the redactor', () => {
  test('credential header values and URL passwords, whatever the secret', () => {
    expect(redact('Authorization: Bearer abc.def\nnext')).toBe('Authorization: [redacted]\nnext')
    expect(redact('the API said: invalid token Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe('the API said: invalid token Bearer [redacted]')
    expect(redact('a Microsoft Graph bearer token with Domain.Read.All')).toBe('a Microsoft Graph bearer token with Domain.Read.All')
    expect(redact('{"x-api-key":"k123","other":1}')).toBe('{"x-api-key":"[redacted]","other":1}')
    expect(redact(`sent bearer ${'Z'.repeat(20)} to https://user:pw@example.test/x`)).toBe('sent bearer [redacted] to https://user:[redacted]@example.test/x')
    // Ordinary text, config field names and references are left alone.
    expect(redact('dns.cloudflare.apiToken: env:CF_TOKEN is not set')).toBe('dns.cloudflare.apiToken: env:CF_TOKEN is not set')
  })

  test('every registered secret, in any case, in text, JSON-like values and errors', () => {
    const token = `tok-${randomInt(1e9)}-${randomBytes(8).toString('hex')}`
    registerSecret(token)
    expect(redact(`token ${token.toUpperCase()} refused`)).toBe('token [redacted] refused')
    expect(redactDeep({a: [`x ${token}`], b: 2, [token]: null})).toEqual({a: ['x [redacted]'], b: 2, '[redacted]': null})
    const err = redactError(new DnsHostError('auth', `refused ${token}`, {cause: new Error(token)}))
    expect(err).toBeInstanceOf(DnsHostError)
    expect(err).toMatchObject({kind: 'auth', exitCode: 2, message: 'refused [redacted]'})
    expect(err.cause).toBeUndefined()
    expect(err.stack).not.toContain(token)
    const plain = redactError(new TypeError(`bad ${token}`))
    expect(plain.message).toBe('bad [redacted]')
    expect(plain.name).toBe('TypeError')
  })

  test('the references of a config register their values; short values are not secrets', () => {
    const value = `s3cret-${randomBytes(6).toString('hex')}`
    process.env.MXCUT_REDACT_TEST = value
    expect(secretRefsIn({host: 'x', x: {key: {secret: 'env:MXCUT_REDACT_TEST'}, url: 'http://h'}, list: ['file:/nope']})).toEqual(['env:MXCUT_REDACT_TEST', 'file:/nope'])
    registerConfiguredSecrets({x: {secret: 'env:MXCUT_REDACT_TEST', missing: 'env:MXCUT_NOT_SET_ANYWHERE', file: 'file:/nope'}})
    expect(redact(`echo ${value}`)).toBe('echo [redacted]')
    registerSecret('abc')
    expect(redact('abc')).toBe('abc')
  })
})

describe('bounded quoting', () => {
  test('control characters escaped, long input cut with its length', () => {
    expect(escapeControl('a\u001b[31mb\nc\u202ed\u0000')).toBe('a\\x1b[31mb\\nc\\u202ed\\x00')
    expect(bounded('x'.repeat(500))).toBe(`${'x'.repeat(200)}… (500 characters)`)
    expect(bounded('short')).toBe('short')
    expect(oneLine('y'.repeat(5000)).length).toBe(1001)
  })

  test('file-system errors name the path, the cause and what to do; unknown ones pass through', () => {
    const e = fsError(Object.assign(new Error('x'), {code: 'ENOSPC'}), 'save plan', '/p/x.plan.json', 'the plan file keeps its last saved state')
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toBe('cannot save plan /p/x.plan.json: no space left on device (ENOSPC); the plan file keeps its last saved state; free some space, then run the command again')
    const odd = Object.assign(new Error('weird'), {code: 'EWEIRD'})
    expect(fsError(odd, 'save', '/p')).toBe(odd)
  })
})
