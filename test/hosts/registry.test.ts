import {cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, expect, test} from 'vitest'
import Init from '../../src/commands/init.js'
import {createDnsClient} from '../../src/dns/client.js'
import {powerdnsSettingsSchema} from '../../src/hosts/providers/powerdns.js'
import {rfc2136SettingsSchema} from '../../src/hosts/providers/rfc2136.js'
import {route53SettingsSchema} from '../../src/hosts/providers/route53.js'
import {createHost, getHostModule, hostModules, hostNames} from '../../src/hosts/registry.js'
import {SECRET_REF} from '../../src/lib/secrets.js'
import {configJsonSchema} from '../../src/plan/config.js'

const deps = {zone: 'contoso.test', client: createDnsClient(), authServers: [], print: () => {}}

describe('host settings', () => {
  test('rfc2136: IP[:PORT] servers, secret references only, defaults', () => {
    const ok = rfc2136SettingsSchema.parse({server: '192.0.2.53:5353', key: {name: 'mxcut', secret: 'env:TSIG'}})
    expect(ok).toEqual({server: '192.0.2.53:5353', key: {name: 'mxcut', algorithm: 'hmac-sha256', secret: 'env:TSIG'}, transport: 'udp'})
    expect(rfc2136SettingsSchema.safeParse({server: '[2001:db8::53]:53', key: {name: 'k', algorithm: 'hmac-sha512', secret: 'file:/etc/k'}}).success).toBe(true)
    expect(rfc2136SettingsSchema.safeParse({server: 'ns1.contoso.com', key: {name: 'k', secret: 'env:T'}}).success).toBe(false)
    expect(rfc2136SettingsSchema.safeParse({server: '192.0.2.53', key: {name: 'k', secret: 'c2VjcmV0c2VjcmV0c2VjcmV0'}}).success).toBe(false)
    expect(rfc2136SettingsSchema.safeParse({server: '192.0.2.53', key: {name: 'k', algorithm: 'hmac-md5', secret: 'env:T'}}).success).toBe(false)
    expect(rfc2136SettingsSchema.safeParse({server: '192.0.2.53', key: {name: 'k', secret: 'env:T'}, extra: 1}).success).toBe(false)
  })

  test('powerdns and route53 defaults and references', () => {
    expect(powerdnsSettingsSchema.parse({url: 'http://127.0.0.1:8081', apiKey: 'env:PDNS'})).toMatchObject({serverId: 'localhost'})
    expect(powerdnsSettingsSchema.safeParse({url: 'ftp://x', apiKey: 'env:PDNS'}).success).toBe(false)
    expect(route53SettingsSchema.safeParse({hostedZoneId: 'Z1', accessKeyId: 'AKIA123'}).success).toBe(false)
  })

  test('createHost: a missing or bad block is one line naming the field', () => {
    expect(() => createHost({host: 'rfc2136'}, deps)).toThrow(/dns\.host is rfc2136 but the dns\.rfc2136 block is missing/)
    expect(() => createHost({host: 'rfc2136', rfc2136: {server: 'nope', key: {name: 'k', secret: 'env:T'}}}, deps)).toThrow(/^dns\.rfc2136\.server: must be an IP address/)
    expect(() => createHost({host: 'powerdns', powerdns: {url: 'http://127.0.0.1', apiKey: 'plain-key'}}, deps)).toThrow(/dns\.powerdns\.apiKey: must be a reference/)
    expect(createHost({host: 'manual'}, deps)).toMatchObject({name: 'manual', atomic: false})
    expect(createHost({host: 'rfc2136', rfc2136: {server: '127.0.0.1', key: {name: 'k', secret: 'env:T'}}}, deps)).toMatchObject({name: 'rfc2136', atomic: true})
  })
})

describe('registry', () => {
  test('lists exactly the modules in providers/: manual first, then by name', () => {
    const files = readdirSync('src/hosts/providers').map((f) => f.replace(/\.ts$/, ''))
    expect([...hostNames].sort()).toEqual(files.sort())
    expect(hostNames[0]).toBe('manual')
    expect(hostNames.slice(1)).toEqual([...hostNames.slice(1)].sort())
    expect(hostModules.map((m) => m.name)).toEqual(hostNames)
    for (const name of hostNames) expect(getHostModule(name).name).toBe(name)
    expect(() => getHostModule('godaddy')).toThrow(`dns.host 'godaddy' is not one of ${hostNames.join(', ')}`)
  })

  test.each(hostModules.map((m) => [m.name, m] as const))('%s: label, limits and init questions agree with its settings schema', (name, host) => {
    expect(host.label.startsWith(`${name}: `)).toBe(true)
    expect(Number.isInteger(host.limits.minTtl) && host.limits.minTtl >= 1).toBe(true)
    if (host.settings === null) {
      expect(host.init.questions).toEqual([])
      return
    }
    const answers: Record<string, string> = {}
    for (const q of host.init.questions) {
      const answer = q.default ?? q.example
      expect(answer, `--${q.flag} needs a default or an example`).toBeDefined()
      if (q.secret) expect(answer).toMatch(SECRET_REF)
      answers[q.flag] = answer ?? ''
    }
    const block = host.init.settings(answers)
    const parsed = host.settings.safeParse(block)
    expect(parsed.error?.issues ?? []).toEqual([])
    // Every answer lands in the block: no question is asked for nothing.
    for (const q of host.init.questions) expect(JSON.stringify(block)).toContain(JSON.stringify(answers[q.flag]))
  })

  test('init flags are unique across hosts', () => {
    const flags = hostModules.flatMap((h) => h.init.questions.map((q) => q.flag))
    expect(flags.length).toBeGreaterThan(0)
    expect(new Set(flags).size).toBe(flags.length)
  })

  test('the config schema and mxcut init cover every host of the registry, nothing else', () => {
    const dns = (configJsonSchema() as {properties: {dns: {properties: Record<string, {enum?: string[]}>}}}).properties.dns.properties
    expect(dns.host.enum).toEqual(hostNames)
    const blocks = hostModules.filter((h) => h.settings !== null).map((h) => h.name)
    expect(Object.keys(dns).filter((k) => k !== 'host' && k !== 'nameservers')).toEqual(blocks)
    // The hosts' flags are spread in from the registry, so the static type of Init.flags does not name them.
    const flags: Record<string, {description?: string} | undefined> = Init.flags
    expect(flags['dns-host']?.description).toBe(`How DNS changes are made: ${hostNames.join(', ')}.`)
    for (const h of hostModules) {
      for (const q of h.init.questions) expect(flags[q.flag]?.description).toBe(`${h.name}: ${q.help}`)
    }
  })
})

/** A host that exists only in a copy of src/: it has to reach the config, init and createHost with no other file touched. */
const EXAMPLE_HOST = `import {z} from 'zod'
import {secretRefSchema} from '../../lib/secrets.js'
import type {HostModule} from '../types.js'

const settings = z.strictObject({endpoint: z.string().min(1), token: secretRefSchema})

export default {
  name: 'example',
  label: 'example: a host added as one file',
  settings,
  limits: {minTtl: 30},
  init: {
    questions: [
      {flag: 'example-endpoint', help: 'API endpoint.', message: 'Example API endpoint:', default: 'https://dns.example.test'},
      {flag: 'example-token', help: 'API token reference, env:NAME or file:PATH.', message: 'Token reference:', default: 'env:EXAMPLE_TOKEN', secret: true},
    ],
    settings: (a) => ({endpoint: a['example-endpoint'], token: a['example-token']}),
  },
  create: () => ({name: 'example', atomic: true, read: async () => null, apply: async () => {}}),
} satisfies HostModule<typeof settings>
`

describe('adding a host is one file', () => {
  test('a new module in providers/ is a dns.host, a dns block with its checks, an init choice with its flags, and a host', async () => {
    // Inside the package, so the copy finds node_modules.
    mkdirSync('test/.tmp', {recursive: true})
    const root = resolve(mkdtempSync(join('test/.tmp', 'registry-')))
    try {
      cpSync('src', join(root, 'src'), {recursive: true})
      writeFileSync(join(root, 'src/hosts/providers/example.ts'), EXAMPLE_HOST)
      // import() of a computed path is untyped: each module gets the type of its original.
      const load = (path: string) => import(pathToFileURL(join(root, 'src', path)).href)
      const registry: typeof import('../../src/hosts/registry.js') = await load('hosts/registry.ts')
      const config: typeof import('../../src/plan/config.js') = await load('plan/config.ts')
      const init: typeof import('../../src/plan/init.js') = await load('plan/init.ts')
      const command: typeof import('../../src/commands/init.js') = await load('commands/init.ts')

      expect(registry.hostNames).toEqual(['manual', ...[...hostNames.slice(1), 'example'].sort()])
      expect(registry.createHost({host: 'example', example: {endpoint: 'https://dns.example.test', token: 'env:T'}}, deps)).toMatchObject({name: 'example'})

      const yaml = (dns: string) => `version: 1\ndomain: contoso.com\ntarget: {profile: microsoft365}\ndns: ${dns}\n`
      expect(config.parseConfigText(yaml('{host: example, example: {endpoint: https://dns.example.test, token: env:T}}'), 'x.yaml').dns).toMatchObject({host: 'example'})
      expect(() => config.parseConfigText(yaml('{host: example}'), 'x.yaml')).toThrow('x.yaml: dns.example is required when dns.host is example (see: mxcut schema)')
      expect(() => config.parseConfigText(yaml('{host: manual, example: {endpoint: e, token: env:T}}'), 'x.yaml')).toThrow('dns.example is given but dns.host is manual')
      expect(() => config.parseConfigText(yaml('{host: example, example: {endpoint: e, token: secret}}'), 'x.yaml')).toThrow('dns.example.token must be a reference')
      expect(JSON.stringify(config.configJsonSchema())).toContain('"example"')

      const flags: Record<string, {description?: string} | undefined> = command.default.flags
      expect(flags['example-token']?.description).toBe('example: API token reference, env:NAME or file:PATH.')
      expect(flags['dns-host']?.description).toContain('example')
      const offline = () => Promise.reject(new Error('offline'))
      const answers = await init.collectAnswers({domain: 'contoso.com', to: 'microsoft365', 'dns-host': 'example'}, null, offline)
      expect(answers).toMatchObject({host: 'example', hostSettings: {endpoint: 'https://dns.example.test', token: 'env:EXAMPLE_TOKEN'}})
      expect(init.configYaml(answers)).toContain('  example:\n    endpoint: "https://dns.example.test"\n    token: "env:EXAMPLE_TOKEN"')
      await expect(init.collectAnswers({domain: 'contoso.com', to: 'microsoft365', 'dns-host': 'example', 'example-token': 'hunter2'}, null, offline)).rejects.toThrow(
        '--example-token must be a reference, env:NAME or file:PATH, never the secret itself',
      )
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  })
})
