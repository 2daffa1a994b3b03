import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../src/lib/errors.js'
import {auditTarget, configDomains, configJsonSchema, loadConfig, parseConfigText, parseDurationText, recordedConfig} from '../../src/plan/config.js'
import {runCli} from '../helpers/cli.js'

const BAD = 'test/configs/bad'
const badFiles = readdirSync(BAD).filter((f) => f.endsWith('.yaml')).sort()
const expectOf = (file: string) => /^# expect: (.*)$/m.exec(readFileSync(join(BAD, file), 'utf8'))?.[1] ?? ''

describe('config', () => {
  test('defaults fill what the config leaves out', () => {
    const c = parseConfigText('version: 1\ndomain: Contoso.COM.\ntarget: {profile: m365}\n', 'x.yaml')
    expect(c).toMatchObject({
      domain: 'contoso.com',
      strategy: 'replace',
      source: {profile: 'auto'},
      ttl: {lowered: 300, margin: 60},
      cleanup: {enabled: true, soak: 604800},
      dns: {host: 'manual', nameservers: []},
      target: {profile: 'm365', autodiscover: true},
    })
    expect(c.ttl.final).toBeUndefined()
    expect(auditTarget(c, 'contoso.com')).toEqual({profile: 'microsoft365'})
  })

  test('IDN domains become A-labels; several domains each keep their own MX', () => {
    const c = parseConfigText(
      'version: 1\ndomains: [bücher.example, {name: contoso.co.uk, mx: ["0 contoso-co-uk.mail.protection.outlook.com"], verification: MS=ms1}]\ntarget: {profile: microsoft365}\n',
      'x.yaml',
    )
    expect(configDomains(c)).toEqual([
      {name: 'xn--bcher-kva.example'},
      {name: 'contoso.co.uk', mx: [{priority: 0, exchange: 'contoso-co-uk.mail.protection.outlook.com'}], verification: 'MS=ms1'},
    ])
    expect(auditTarget(c, 'contoso.co.uk')).toMatchObject({verification: 'MS=ms1', mx: [{priority: 0, exchange: 'contoso-co-uk.mail.protection.outlook.com'}]})
  })

  test('durations: seconds or with a unit', () => {
    expect([parseDurationText('300'), parseDurationText('90s'), parseDurationText('5m'), parseDurationText('2h'), parseDurationText('7d'), parseDurationText('1w'), parseDurationText('soon')]).toEqual([300, 90, 300, 7200, 604800, 604800, null])
  })

  test('the examples are valid', async () => {
    for (const f of readdirSync('plans/examples').filter((x) => x.endsWith('.yaml'))) {
      await expect(loadConfig(join('plans/examples', f)), f).resolves.toHaveProperty('version', 1)
    }
  })

  test.each(badFiles)('bad config %s: one line naming the field and the fix', (file) => {
    let error: unknown
    try {
      parseConfigText(readFileSync(join(BAD, file), 'utf8'), join(BAD, file))
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(UserError)
    const message = (error as UserError).message
    expect(message.startsWith(`${join(BAD, file)}: `)).toBe(true)
    expect(message).toContain(expectOf(file))
    expect(message).not.toContain('\n')
  })

  test('there are at least 15 bad configs, each with an expectation', () => {
    expect(badFiles.length).toBeGreaterThanOrEqual(15)
    for (const f of badFiles) expect(expectOf(f), f).not.toBe('')
  })

  test('a missing file says how to make one', async () => {
    await expect(loadConfig('plans/nope.yaml')).rejects.toThrow(/does not exist; write one with: mxcut init/)
  })

  test('secrets stay references in what a plan file records', () => {
    const c = parseConfigText(readFileSync('plans/examples/tailspin-toys.yaml', 'utf8'), 'x')
    expect(JSON.stringify(recordedConfig(c))).toContain('"secret":"env:MXCUT_TSIG_SECRET"')
  })
})

describe('JSON Schema', () => {
  test('the shipped schema is the one generated from the zod schema (regenerate: mxcut schema > plans/mxcut-config.schema.json)', () => {
    const shipped = JSON.parse(readFileSync('plans/mxcut-config.schema.json', 'utf8')) as unknown
    expect(shipped).toEqual(configJsonSchema())
  })

  test('it describes what users write: durations as text or seconds, secrets as references, strict objects', () => {
    const s = configJsonSchema() as {properties: Record<string, {properties?: Record<string, unknown>; additionalProperties?: boolean}>; additionalProperties: boolean}
    expect(s.additionalProperties).toBe(false)
    expect(s.properties.ttl.properties?.lowered).toMatchObject({type: ['number', 'string']})
    expect(JSON.stringify(s.properties.dns)).toContain('env:NAME or file:PATH')
    expect(s.properties.strategy).toMatchObject({enum: ['replace', 'staged']})
  })

  test('mxcut schema prints it', async () => {
    const r = await runCli(['schema'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(configJsonSchema())
  })
})

describe('mxcut plan with a bad config', () => {
  test('each gives exit 2 and one line, and writes no plan file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxcut-bad-'))
    const results = []
    // Five at a time: each run starts a Node process.
    for (let i = 0; i < badFiles.length; i += 5) {
      results.push(
        ...(await Promise.all(
          badFiles.slice(i, i + 5).map(async (file) => ({file, r: await runCli(['plan', join(BAD, file), '--out', join(dir, `${file}.plan.json`), '--nameserver', '127.0.0.1:9', '--timeout', '100'])})),
        )),
      )
    }
    for (const {file, r} of results) {
      expect(r.code, `${file}: ${r.stderr}`).toBe(2)
      const lines = r.stderr.trim().split('\n')
      expect(lines, file).toHaveLength(1)
      expect(lines[0]).toMatch(/^mxcut: /)
      expect(lines[0]).toContain(expectOf(file))
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    expect(readdirSync(dir)).toEqual([])
    expect(existsSync(join(dir, '01-unknown-field.yaml.plan.json'))).toBe(false)
  }, 300_000)
})
