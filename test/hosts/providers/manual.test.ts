import {expect, test} from 'vitest'
import {describeChange} from '../../../src/hosts/providers/manual.js'

test('the manual host shows a TXT split into several strings quoted string by string, in the console table and the zone-file line', () => {
  const split = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test -all']
  const merged = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test include:spf.t.test -all']
  const lines = describeChange({action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 60, records: [merged, 'MS=ms1'], expect: {ttl: 60, records: [split, 'MS=ms1']}}, 'contoso.test')
  const text = lines.join('\n')
  expect(text).toMatch(/^ {4}@ +TXT +"v=spf1 mx include:spf\.a\.test " "include:spf\.b\.test -all" +60$/m)
  expect(text).toMatch(/^ {4}@ +TXT +"v=spf1 mx include:spf\.a\.test " "include:spf\.b\.test include:spf\.t\.test -all" +60$/m)
  // A record of one string stays as a console takes it: unquoted.
  expect(text).toMatch(/^ {4}@ +TXT +MS=ms1 +60$/m)
  expect(lines).toContain('    contoso.test. 60 IN TXT "v=spf1 mx include:spf.a.test " "include:spf.b.test include:spf.t.test -all"')
})

test('the manual host gives dnscontrol users the D() record lines to put in place of the old ones, a split TXT as an array of strings', () => {
  const merged = ['v=spf1 mx include:spf.a.test ', 'include:spf.b.test include:spf.t.test -all']
  const lines = describeChange(
    {action: 'replace', name: 'contoso.test', type: 'TXT', ttl: 60, records: [merged, 'MS=ms1'], expect: {ttl: 60, records: [['v=spf1 mx ', '-all'], 'MS=ms1']}},
    'contoso.test',
  )
  const at = lines.indexOf('  dnscontrol (dnsconfig.js, in D("contoso.test", …)): replace every TXT("@", …) line with:')
  expect(at).toBeGreaterThan(0)
  expect(lines.slice(at + 1)).toEqual(['    TXT("@", ["v=spf1 mx include:spf.a.test ", "include:spf.b.test include:spf.t.test -all"], TTL(60)),', '    TXT("@", "MS=ms1", TTL(60)),'])

  const mx = describeChange({action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.com'}]}, 'contoso.test')
  expect(mx.slice(-2)).toEqual(['  dnscontrol (dnsconfig.js, in D("contoso.test", …)): replace every MX("@", …) line with:', '    MX("@", 0, "contoso-test.mail.protection.outlook.com.", TTL(300)),'])
  const cname = describeChange({action: 'replace', name: 'autodiscover.contoso.test', type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.com'], expect: null}, 'contoso.test')
  expect(cname.at(-1)).toBe('    CNAME("autodiscover", "autodiscover.outlook.com.", TTL(3600)),')
  const gone = describeChange({action: 'delete', name: 'old.contoso.test', type: 'TXT', expect: {ttl: 60, records: ['x']}}, 'contoso.test')
  expect(gone.at(-1)).toBe('  dnscontrol (dnsconfig.js, in D("contoso.test", …)): remove every TXT("old", …) line')
})
