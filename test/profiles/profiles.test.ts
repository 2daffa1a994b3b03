import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {describeProfile} from '../../src/profiles/describe.js'
import {allProfiles, detectProfile, getProfile} from '../../src/profiles/index.js'
import {loadProfilesFrom, parseProfileFile, PROFILES_DIR} from '../../src/profiles/load.js'
import {profileFileSchema} from '../../src/profiles/schema.js'

const files = readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.yaml'))

/** Host names a tenant is assigned (never documented for everyone): none may appear as a value in a profile. */
const ASSIGNED_HOSTS = [/[a-z0-9-]+\.[a-z0-9]+-v\d\.mx\.microsoft/i, /dkim\.mail\.microsoft/i, /\.onmicrosoft\.com/i, /<tenant>/i]

describe('provider profiles as data files', () => {
  test('every file in src/profiles parses against the schema, with the URL of its documentation', () => {
    expect(files.length).toBeGreaterThanOrEqual(10)
    for (const f of files) {
      const data: unknown = parse(readFileSync(join(PROFILES_DIR, f), 'utf8'))
      const result = profileFileSchema.safeParse(data)
      expect(result.success, `${f}: ${result.success ? '' : JSON.stringify(result.error.issues[0])}`).toBe(true)
      if (result.success) {
        expect(`${result.data.id}.yaml`).toBe(f)
        for (const url of result.data.docs) expect(url).toMatch(/^https:\/\//)
      }
    }
    expect(allProfiles().map((p) => p.id).sort()).toEqual(files.map((f) => f.replace(/\.yaml$/, '')).sort())
    expect(allProfiles().filter((p) => p.kind === 'mailbox').length).toBeGreaterThanOrEqual(9)
  })

  test('no profile holds a value a provider assigns per tenant', () => {
    for (const p of allProfiles()) {
      const values = [...p.mx.records.map((m) => m.exchange), ...p.mx.alternatives.flat().map((m) => m.exchange), p.spf.include ?? '', ...(p.dkim?.records.map((d) => d.value ?? '') ?? []), p.autodiscover?.value ?? '']
      for (const v of values) for (const re of ASSIGNED_HOSTS) expect(v, `${p.id}: ${v}`).not.toMatch(re)
    }
    const m365 = getProfile('microsoft365')
    expect(m365.dkim?.records.every((d) => d.value === undefined)).toBe(true)
    expect(m365.assignedMx('contoso-com.o-v1.mx.microsoft')).toMatch(/assigns/)
    expect(m365.assignedMx('contoso-com.mail.protection.outlook.com')).toBeNull()
  })

  test('a broken file is refused in one line naming the file and the field', () => {
    const ok = readFileSync(join(PROFILES_DIR, 'fastmail.yaml'), 'utf8')
    const cases: Array<[string, RegExp]> = [
      [ok.replace('fm1.{domain}.dkim', 'fm1.{tenant}.dkim'), /dkim\.records\[0\]\.value uses \{tenant\}/],
      [ok.replace("'^in[12]-smtp", "'^in[12-smtp"), /detect\.mx\[0\] is not a regular expression/],
      [ok.replace(/docs:\n( {2}- .*\n)+/, ''), /docs/],
      [ok.replace('kind: mailbox', 'kind: mailbox\nsurprise: 1'), /surprise/],
      [ok + '\nid: twice\n', /not valid YAML/],
    ]
    for (const [text, expected] of cases) {
      let message = ''
      try {
        parseProfileFile(text, 'fastmail.yaml')
      } catch (err) {
        message = (err as Error).message
      }
      expect(message).toMatch(expected)
      expect(message).toMatch(/^profile file fastmail\.yaml: /)
      expect(message.split('\n')).toHaveLength(1)
    }
    const dir = mkdtempSync(join(tmpdir(), 'mxcut-profiles-'))
    writeFileSync(join(dir, 'fastmail.yaml'), ok)
    writeFileSync(join(dir, 'other.yaml'), ok.replace('id: fastmail', 'id: other'))
    expect(() => loadProfilesFrom(dir)).toThrow(/'messagingengine' is already used/)
  })

  test('Microsoft 365 for a domain: the documented MX, SPF and autodiscover; DKIM and *.mx.microsoft described, never shown as values', () => {
    const d = describeProfile(getProfile('m365'), 'contoso.co.uk')
    expect(d.mx).toEqual([{priority: 0, exchange: 'contoso-co-uk.mail.protection.outlook.com'}])
    expect(d.alternativeMx).toEqual([])
    expect(d.assignedMx[0]).toMatch(/\*\.mx\.microsoft host that Microsoft assigns/)
    expect(d.spfInclude).toBe('spf.protection.outlook.com')
    expect(d.dkim).toEqual([
      {name: 'selector1._domainkey.contoso.co.uk', type: 'CNAME', value: null, assigned: expect.stringMatching(/Defender portal .* DKIM/)},
      {name: 'selector2._domainkey.contoso.co.uk', type: 'CNAME', value: null, assigned: expect.stringMatching(/Get-DkimSigningConfig -Identity contoso\.co\.uk/)},
    ])
    expect(d.autodiscover).toEqual({name: 'autodiscover.contoso.co.uk', type: 'CNAME', value: 'autodiscover.outlook.com'})
    expect(d.verification).toEqual({name: 'contoso.co.uk', prefix: 'MS=', where: expect.stringMatching(/admin center/)})
    expect(d.tenantApi).toBe('microsoft-graph')
  })

  test('templates: Fastmail DKIM per domain; Amazon WorkMail hosts per region, shown as the template', () => {
    expect(describeProfile(getProfile('fastmail'), 'fabrikam.com').dkim.map((x) => [x.name, x.value])).toEqual([
      ['fm1._domainkey.fabrikam.com', 'fm1.fabrikam.com.dkim.fmhosted.com'],
      ['fm2._domainkey.fabrikam.com', 'fm2.fabrikam.com.dkim.fmhosted.com'],
      ['fm3._domainkey.fabrikam.com', 'fm3.fabrikam.com.dkim.fmhosted.com'],
    ])
    const wm = describeProfile(getProfile('workmail'), 'fabrikam.com')
    expect(wm.mx).toEqual([{priority: 10, exchange: 'inbound-smtp.{region}.amazonaws.com'}])
    expect(wm.verification?.name).toBe('_amazonses.fabrikam.com')
    expect(wm.parameters.region.examples).toContain('us-east-1')
  })

  test("the source is detected from today's MX, only when every exchange matches", () => {
    expect(detectProfile(['contoso-com.mail.protection.outlook.com'])?.id).toBe('microsoft365')
    expect(detectProfile(['contoso-com.o-v1.mx.microsoft'])?.id).toBe('microsoft365')
    expect(detectProfile(['aspmx.l.google.com', 'alt1.aspmx.l.google.com'])?.id).toBe('google-workspace')
    expect(detectProfile(['mx.zoho.com', 'mx2.zoho.com', 'mx3.zoho.com'])?.id).toBe('zoho-mail')
    expect(detectProfile(['mx.zoho.eu', 'mx2.zoho.eu'])?.id).toBe('zoho-mail-eu')
    expect(detectProfile(['in1-smtp.messagingengine.com', 'in2-smtp.messagingengine.com'])?.id).toBe('fastmail')
    expect(detectProfile(['mail.protonmail.ch', 'mailsec.protonmail.ch'])?.id).toBe('proton-mail')
    expect(detectProfile(['inbound-smtp.eu-west-1.amazonaws.com'])?.id).toBe('amazon-workmail')
    expect(detectProfile(['smtp.secureserver.net', 'mailstore1.secureserver.net'])?.id).toBe('godaddy')
    expect(detectProfile(['mx00.ionos.de', 'mx01.ionos.de'])?.id).toBe('ionos')
    expect(detectProfile(['smtp.google.com', 'mx.other.example'])).toBeNull()
    expect(detectProfile(['.'])).toBeNull()
    expect(getProfile('M365').id).toBe('microsoft365')
    expect(() => getProfile('yahoo')).toThrow(/unknown profile 'yahoo'/)
  })
})
