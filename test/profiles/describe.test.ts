import {describe, expect, test} from 'vitest'
import {describeProfile} from '../../src/profiles/describe.js'
import {detectProfile, getProfile, googleWorkspace, microsoft365} from '../../src/profiles/index.js'
import {parseJson, runCli} from '../helpers/cli.js'

describe('provider profiles', () => {
  test('Microsoft 365 for a domain: dashed MX, SPF include, DKIM CNAMEs, autodiscover, MS= verification', () => {
    const d = describeProfile(microsoft365, 'contoso.co.uk')
    expect(d.mx).toEqual([{priority: 0, exchange: 'contoso-co-uk.mail.protection.outlook.com'}])
    expect(d.alternativeMx[0][0].exchange).toMatch(/\.mx\.microsoft$/)
    expect(d.spfInclude).toBe('spf.protection.outlook.com')
    expect(d.dkim.map((x) => [x.name, x.type])).toEqual([
      ['selector1._domainkey.contoso.co.uk', 'CNAME'],
      ['selector2._domainkey.contoso.co.uk', 'CNAME'],
    ])
    expect(d.autodiscover).toEqual({name: 'autodiscover.contoso.co.uk', type: 'CNAME', value: 'autodiscover.outlook.com'})
    expect(d.verification).toMatch(/^MS=/)
    expect(d.notes.join(' ')).toMatch(/admin center.*mx\.microsoft/)
  })

  test('Google Workspace: smtp.google.com, or the five legacy ASPMX records', () => {
    const d = describeProfile(googleWorkspace, 'contoso.com')
    expect(d.mx).toEqual([{priority: 1, exchange: 'smtp.google.com'}])
    expect(d.alternativeMx[0]).toHaveLength(5)
    expect(d.dkim).toEqual([expect.objectContaining({name: 'google._domainkey.contoso.com', type: 'TXT'})])
  })

  test('the source is detected from today\'s MX, only when every exchange matches', () => {
    expect(detectProfile(['contoso-com.mail.protection.outlook.com'])?.id).toBe('microsoft365')
    expect(detectProfile(['aspmx.l.google.com', 'alt1.aspmx.l.google.com'])?.id).toBe('google-workspace')
    expect(detectProfile(['smtp.google.com', 'mx.other.example'])).toBeNull()
    expect(detectProfile(['.'])).toBeNull()
    expect(getProfile('M365').id).toBe('microsoft365')
    expect(() => getProfile('yahoo')).toThrow(/unknown profile 'yahoo'/)
  })

  test('mxcut profiles lists them; --json gives the records', async () => {
    const text = await runCli(['profiles', '--domain', 'fabrikam.com'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/microsoft365 .*\n[\s\S]*fabrikam-com\.mail\.protection\.outlook\.com/)
    expect(text.stdout).toMatch(/google-workspace[\s\S]*smtp\.google\.com/)
    expect(text.stdout).toMatch(/custom[\s\S]*from the config \(target\.mx\)/)
    const json = parseJson<{profiles: Array<{id: string}>}>(await runCli(['profiles', '--profile', 'google', '--json']))
    expect(json.profiles.map((p) => p.id)).toEqual(['google-workspace'])
    const bad = await runCli(['profiles', '--profile', 'yahoo'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})
