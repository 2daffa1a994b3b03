import {describe, expect, test} from 'vitest'
import {getProfile} from '../../src/profiles/index.js'
import {resolveRecords} from '../../src/profiles/resolve.js'
import type {TenantRecords} from '../../src/profiles/tenant.js'
import {parseJson, runCli} from '../helpers/cli.js'

const TENANT: TenantRecords = {
  source: 'Microsoft Graph',
  domain: 'contoso.com',
  mx: [{priority: 0, exchange: 'contoso-com.o-v1.mx.microsoft'}],
  spfInclude: 'spf.protection.outlook.com',
  autodiscover: 'autodiscover.outlook.com',
  verification: 'MS=ms77771111',
  readAt: '2026-01-01T00:00:00.000Z',
}

describe('a target for one domain: config, then tenant, then the profile', () => {
  test('Microsoft 365 without tenant or config: the documented MX; the DKIM targets are a problem naming the Defender page, never guessed', () => {
    const r = resolveRecords(getProfile('microsoft365'), 'contoso.com')
    expect(r.mx).toEqual([{priority: 0, exchange: 'contoso-com.mail.protection.outlook.com'}])
    expect(r.mxSource).toBe('profile')
    expect(r.dkim).toEqual([])
    expect(r.problems).toEqual([
      {code: 'TARGET_VALUE_MISSING', subject: 'contoso.com DKIM', message: expect.stringMatching(/assigns the DKIM records of contoso\.com .*security\.microsoft\.com\/authentication\?viewid=DKIM.*target\.dkim: false/)},
    ])
    expect(r.verification).toEqual({name: 'contoso.com', value: null, prefix: 'MS=', where: expect.any(String)})
  })

  test("the tenant's values (Microsoft Graph) stand in for the profile's, including an assigned *.mx.microsoft host", () => {
    const r = resolveRecords(getProfile('microsoft365'), 'contoso.com', {tenant: TENANT, dkim: false})
    expect(r.mx).toEqual([{priority: 0, exchange: 'contoso-com.o-v1.mx.microsoft'}])
    expect(r.mxSource).toBe('tenant')
    expect(r.verification?.value).toBe('MS=ms77771111')
    expect(r.problems).toEqual([])
  })

  test('the config and the tenant disagreeing is a problem, not a silent choice', () => {
    const r = resolveRecords(getProfile('microsoft365'), 'contoso.com', {tenant: TENANT, dkim: false, mx: [{priority: 0, exchange: 'contoso-com.mail.protection.outlook.com'}], verification: 'MS=ms1'})
    expect(r.problems.map((p) => [p.code, p.subject])).toEqual([
      ['TARGET_VALUE_CONFLICT', 'contoso.com MX'],
      ['TARGET_VALUE_CONFLICT', 'contoso.com TXT (verification)'],
    ])
  })

  test('DKIM copied into the config is published exactly; the names come from the selectors', () => {
    const value = 'selector1-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft'
    const r = resolveRecords(getProfile('microsoft365'), 'contoso.com', {dkim: [{selector: 'selector1', type: 'CNAME', value: value.toUpperCase()}]})
    expect(r.dkim).toEqual([{name: 'selector1._domainkey.contoso.com', type: 'CNAME', value}])
    expect(r.problems).toEqual([])
  })

  test('Amazon WorkMail: hosts from the region parameter; without it a problem naming target.region', () => {
    const none = resolveRecords(getProfile('amazon-workmail'), 'fabrikam.com', {dkim: false})
    expect(none.mx).toEqual([])
    expect(none.problems.map((p) => p.message).join(' ')).toMatch(/target\.region \(the AWS Region of the WorkMail organization, e\.g\. us-east-1\)/)
    const r = resolveRecords(getProfile('amazon-workmail'), 'fabrikam.com', {dkim: false, parameters: {region: 'eu-west-1'}})
    expect(r.mx).toEqual([{priority: 10, exchange: 'inbound-smtp.eu-west-1.amazonaws.com'}])
    expect(r.autodiscover).toEqual({name: 'autodiscover.fabrikam.com', type: 'CNAME', value: 'autodiscover.mail.eu-west-1.awsapps.com'})
    expect(r.verification?.name).toBe('_amazonses.fabrikam.com')
    expect(r.problems).toEqual([])
  })

  test('Fastmail: DKIM CNAMEs derived from the domain, as Fastmail documents them', () => {
    const r = resolveRecords(getProfile('fastmail'), 'Fabrikam.COM')
    expect(r.dkim.map((d) => `${d.name} ${d.value}`)).toEqual([
      'fm1._domainkey.fabrikam.com fm1.fabrikam.com.dkim.fmhosted.com',
      'fm2._domainkey.fabrikam.com fm2.fabrikam.com.dkim.fmhosted.com',
      'fm3._domainkey.fabrikam.com fm3.fabrikam.com.dkim.fmhosted.com',
    ])
    expect(r.problems).toEqual([])
  })
})

describe('mxcut profiles', () => {
  test('lists at least ten providers from the data files and never prints an invented host', async () => {
    const text = await runCli(['profiles', '--domain', 'fabrikam.com'])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/microsoft365 .*\n[\s\S]*fabrikam-com\.mail\.protection\.outlook\.com/)
    expect(text.stdout).toMatch(/assigned per domain, never derived: a DNSSEC-capable \*\.mx\.microsoft host/)
    expect(text.stdout).toMatch(/selector1\._domainkey\.fabrikam\.com +assigned per tenant \(target\.dkim\): Microsoft Defender portal/)
    expect(text.stdout).toMatch(/google-workspace[\s\S]*smtp\.google\.com/)
    expect(text.stdout).toMatch(/custom[\s\S]*from the config \(target\.mx\)/)
    expect(text.stdout).toMatch(/source: https:\/\/learn\.microsoft\.com\//)
    // A host under mx.microsoft, dkim.mail.microsoft or onmicrosoft.com is only ever the tenant's.
    expect(text.stdout).not.toMatch(/[a-z0-9-]+\.[a-z0-9]+-v\d\.mx\.microsoft|fabrikam[^\s]*\.dkim\.mail\.microsoft|fabrikam[^\s]*onmicrosoft/)
    const json = parseJson<{profiles: Array<{id: string; docs: string[]; notes?: string[]; mx: Array<{exchange: string}>}>}>(await runCli(['profiles', '--json']))
    expect(json.profiles.length).toBeGreaterThanOrEqual(10)
    expect(json.profiles.every((p) => p.docs.length > 0)).toBe(true)
    // Values only: the notes describe the formats Microsoft uses, in words.
    const values = json.profiles.map(({notes: _notes, ...rest}: {notes?: unknown}) => rest)
    expect(JSON.stringify(values)).not.toMatch(/-v\d\.mx\.microsoft|onmicrosoft\.com|dkim\.mail\.microsoft/)
    const one = parseJson<{profiles: Array<{id: string}>}>(await runCli(['profiles', '--profile', 'google', '--json']))
    expect(one.profiles.map((p) => p.id)).toEqual(['google-workspace'])
    const bad = await runCli(['profiles', '--profile', 'yahoo'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})
