import {describe, expect, test} from 'vitest'
import {canonicalName, isInZone, parseDomain, relativeName} from '../../src/dns/names.js'

describe('parseDomain', () => {
  test('accepts and canonicalises', () => {
    expect(parseDomain('Contoso.COM.')).toBe('contoso.com')
    expect(parseDomain('  mail.contoso.co.uk ')).toBe('mail.contoso.co.uk')
  })
  test('converts IDN to A-labels', () => {
    expect(parseDomain('bücher.example')).toBe('xn--bcher-kva.example')
    expect(parseDomain('münchen.de')).toBe('xn--mnchen-3ya.de')
  })
  test.each([
    ['bad..domain', /empty label/],
    ['', /empty/],
    ['.contoso.com', /empty label/],
    ['-bad.com', /invalid label/],
    ['bad-.com', /invalid label/],
    ['under_score.com', /invalid label|not a valid/],
    ['localhost', /single label/],
    ['192.0.2.1', /IP address/],
    ['a'.repeat(64) + '.com', /invalid label/],
    ['exa mple.com', /not a valid|invalid label/],
  ])('rejects %j', (input, message) => {
    expect(() => parseDomain(input)).toThrow(message)
  })
})

test('relative names as DNS consoles show them', () => {
  expect(relativeName('contoso.com', 'contoso.com')).toBe('@')
  expect(relativeName('_dmarc.contoso.com.', 'contoso.com')).toBe('_dmarc')
  expect(relativeName('other.org', 'contoso.com')).toBe('other.org.')
  expect(isInZone('a.b.contoso.com', 'contoso.com')).toBe(true)
  expect(isInZone('notcontoso.com', 'contoso.com')).toBe(false)
  expect(canonicalName('.')).toBe('.')
})
