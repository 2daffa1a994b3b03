import {describe, expect, test} from 'vitest'
import {mxMatches, parseStsPolicy, parseStsTxt} from '../../src/audit/mta-sts.js'

describe('MTA-STS (RFC 8461)', () => {
  test('the TXT record needs v=STSv1 and an id of 1 to 32 letters and digits', () => {
    expect(parseStsTxt('v=STSv1; id=20160831085700Z;')).toEqual({ok: true, id: '20160831085700Z'})
    expect(parseStsTxt('v=STSv1; id=abc-def').ok).toBe(false)
    expect(parseStsTxt('v=STSv1;').ok).toBe(false)
    expect(parseStsTxt('v=STSv2; id=1').ok).toBe(false)
  })

  test('the policy of §3.2 parses, CRLF or LF, unknown keys ignored', () => {
    const body = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\nextension: x\r\n'
    const r = parseStsPolicy(body)
    expect(r).toEqual({ok: true, policy: {version: 'STSv1', mode: 'enforce', mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'], maxAge: 604800}})
    expect(parseStsPolicy(body.replace(/\r\n/g, '\n')).ok).toBe(true)
  })

  test.each([
    ['mode: enforce\nmx: a.example.com\nmax_age: 86400\n', /version/],
    ['version: STSv1\nmode: strict\nmx: a.example.com\nmax_age: 86400\n', /mode/],
    ['version: STSv1\nmode: enforce\nmax_age: 86400\n', /mx/],
    ['version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 99999999999\n', /max_age/],
    ['version: STSv1\nmode: enforce\nmx: a.example.com\n', /max_age/],
    ['version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1\ngarbage line\n', /key: value/],
    ['version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 1\n', /wildcard/],
  ])('refuses an invalid policy (%#)', (body, why) => {
    const r = parseStsPolicy(body)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(why)
  })

  test('mode none needs no mx line', () => {
    expect(parseStsPolicy('version: STSv1\nmode: none\nmax_age: 86400\n').ok).toBe(true)
  })

  test('a wildcard covers exactly one leftmost label (§4.1)', () => {
    expect(mxMatches('*.example.net', 'mx1.example.net')).toBe(true)
    expect(mxMatches('*.example.net', 'example.net')).toBe(false)
    expect(mxMatches('*.example.net', 'a.b.example.net')).toBe(false)
    expect(mxMatches('mail.example.com', 'MAIL.example.com.')).toBe(true)
    expect(mxMatches('*.mail.protection.outlook.com', 'contoso-com.mail.protection.outlook.com')).toBe(true)
  })
})
