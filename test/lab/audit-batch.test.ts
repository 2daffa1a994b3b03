import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {serverLabel} from '../../src/dns/server.js'
import type {AuditBatchJson} from '../../src/plan/audit-domains.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {startLab, type Lab} from './lab.js'

/** Many domains for a consultant's spreadsheet: --domains-file, the batch --json shape, --csv. */
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-audit-batch-'))

beforeAll(async () => {
  lab = await startLab({
    zones: [
      {name: 'clean.batch.test', records: ['@ 3600 IN MX 10 mail', 'mail IN A 127.0.0.1', '@ IN TXT "v=spf1 mx -all"', '_dmarc IN TXT "v=DMARC1; p=none"']},
      {name: 'messy.batch.test', records: ['@ 3600 IN MX 10 mail', 'mail IN A 127.0.0.1', '@ IN TXT "v=spf1 mx -all"', '@ IN TXT "v=spf1 a -all"']},
    ],
    resolvers: [{}],
  })
})
afterAll(async () => lab?.stop())

// No SMTP listener serves these zones: the probes of every MX host are another test's subject.
const dns = () => ['--resolver', serverLabel(lab.resolvers[0]), '--timeout', '800', '--no-smtp']

test('--domains-file with comments and blank lines; --csv has a row per finding and every domain; the batch --json shape even for one domain', {timeout: 90_000}, async () => {
  const list = join(dir, 'domains.txt')
  writeFileSync(list, '# the tenant\nclean.batch.test\n\nmessy.batch.test   # two SPF records\n')
  const csv = await runCli(['audit', '--domains-file', list, '--csv', ...dns()])
  expect(csv.code, csv.stderr).toBe(1)
  const rows = csv.stdout.trimEnd().split('\r\n')
  expect(rows[0]).toBe('domain,status,severity,code,subject,message')
  expect(rows).toContain('clean.batch.test,ok,,,,')
  const spf = rows.find((r) => r.startsWith('messy.batch.test,errors,error,SPF_MULTIPLE,'))
  expect(spf).toBeDefined()
  // A message holding a comma is quoted (RFC 4180).
  expect(rows.filter((r) => r.startsWith('messy.batch.test,')).every((r) => /^([^,"]*|"([^"]|"")*")(,([^,"]*|"([^"]|"")*")){5}$/.test(r))).toBe(true)

  const one = join(dir, 'one.txt')
  writeFileSync(one, 'clean.batch.test\n')
  const json = parseJson<AuditBatchJson>(await runCli(['audit', '--domains-file', one, '--json', ...dns()]))
  expect(json.domains.map((d) => d.domain)).toEqual(['clean.batch.test'])
  expect(json.failed).toEqual([])
  expect(json.summary).toEqual({error: 0, warning: 0, info: 0})

  const bad = join(dir, 'bad.txt')
  writeFileSync(bad, 'clean.batch.test\nnot a domain\n')
  const refused = await runCli(['audit', '--domains-file', bad, ...dns()])
  expect(refused.code).toBe(2)
  expect(refused.stderr).toMatch(new RegExp(`^mxcut: domains file ${bad.replace(/[.]/g, '\\.')} line 2: domain 'not a domain' is not a valid domain name`))

})
