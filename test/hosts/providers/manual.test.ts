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
