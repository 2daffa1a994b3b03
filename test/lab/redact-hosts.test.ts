import {generateKeyPairSync, randomBytes} from 'node:crypto'
import dgram from 'node:dgram'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {z} from 'zod'
import {hostModules} from '../../src/hosts/registry.js'
import {SECRET_REF} from '../../src/lib/secrets.js'
import type {PlanState} from '../../src/state/schema.js'
import {runCli} from '../helpers/cli.js'
import {createTestCa, type TestCa} from '../helpers/tls.js'
import {cutoverZone, makePlan, serialOn} from '../run/lab-plan.js'
import {startLab, type Lab} from './lab.js'

/**
 * CONTRACT TESTS for the redactor, one per DNS host of the registry. The
 * hosted APIs cannot be reached from here, so each host runs (through the
 * real CLI, `mxcut run`) against a local server that speaks just enough of
 * its API to fail the way a hostile or careless one does: it echoes the
 * credentials it was sent in its error (Cloudflare's error envelope, the
 * PowerDNS {"error"} body, Route 53's ErrorResponse XML, Azure Resource
 * Manager's and Cloud DNS's {error: {message}}), or, for DNS UPDATE, signs its
 * answer with a "key name" that is the TSIG secret. The live zone is real
 * BIND. No secret may appear on stdout, stderr (with --debug), in the journal
 * or in the plan file (steps[].error); "[redacted]" shows the echo reached a
 * message (the Azure and Cloud DNS hosts never quote an API's body at all).
 * Hosts that take no secret (DNS-as-code files, manual) are checked to have
 * none among their settings.
 */
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-redact-'))
/** Secrets differ per host, and are random per run. */
const SECRET = {
  cloudflare: `cf-token-${randomBytes(12).toString('hex')}`,
  powerdns: `pdns-key-${randomBytes(12).toString('hex')}`,
  route53: `r53-secret-${randomBytes(12).toString('hex')}`,
  route53KeyId: `AKIALEAK${randomBytes(6).toString('hex').toUpperCase()}`,
  rfc2136: randomBytes(32).toString('base64'),
  azure: `azure-secret-${randomBytes(12).toString('hex')}`,
}
const AZURE_TENANT = '99999999-8888-7777-6666-555555555555'
const gcloudKey = (() => {
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const pem = privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  return {id: randomBytes(20).toString('hex'), pem, json: ''}
})()
let ca: TestCa
let httpsPort = 0
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353'
const servers: Array<{close(): void}> = []
let httpPort = 0
let dnsPort = 0
/** What each fake received: proof the credentials were sent, so the echo holds them. */
const received: Record<string, string> = {}

const zoneOf = (host: string) => `leak-${host}.test`

/** One HTTP server for the three APIs, told apart by path. */
async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const url = new URL(req.url ?? '/', 'http://x')
  const auth = req.headers.authorization ?? ''
  const apiKey = String(req.headers['x-api-key'] ?? '')
  if (url.pathname.startsWith('/client/v4/')) {
    received.cloudflare = auth
    // Cloudflare's envelope; the error copies the request's Authorization header.
    res.writeHead(400, {'content-type': 'application/json'})
    res.end(JSON.stringify({success: false, errors: [{code: 9109, message: `Invalid access token (Authorization: ${auth}); token ${auth.replace(/^Bearer /, '')} is not valid for zone ${ZONE_ID}`}], messages: [], result: null}))
    return
  }
  if (url.pathname.startsWith('/api/v1/servers/')) {
    received.powerdns = apiKey
    if (req.method === 'GET') {
      const zone = zoneOf('powerdns')
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(JSON.stringify({name: `${zone}.`, rrsets: [{name: `${zone}.`, type: 'MX', ttl: 300, records: [{content: `10 mail.${zone}.`, disabled: false}]}]}))
      return
    }
    res.writeHead(422, {'content-type': 'application/json'})
    res.end(JSON.stringify({error: `API key '${apiKey}' may not change zone ${zoneOf('powerdns')} (X-API-Key: ${apiKey})`}))
    return
  }
  if (url.pathname.startsWith('/2013-04-01/')) {
    received.route53 = auth
    res.writeHead(400, {'content-type': 'text/xml', 'x-amzn-requestid': '00000000-0000-0000-0000-000000000000'})
    const message = `key ${SECRET.route53KeyId} with secret ${SECRET.route53} refused; request had Authorization: ${auth}`
    res.end(`<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>InvalidInput</Code><Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message></Error><RequestId>0</RequestId></ErrorResponse>`)
    return
  }
  res.writeHead(404).end()
}

/** Azure (identity platform tokens, then ARM) and Cloud DNS over HTTPS: every API call fails, echoing what it was sent. */
async function handleHttps(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks).toString()
  const url = new URL(req.url ?? '/', 'https://x')
  const send = (status: number, payload: unknown) => {
    res.writeHead(status, {'content-type': 'application/json'})
    res.end(JSON.stringify(payload))
  }
  const tenant = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname)
  if (tenant) {
    const base = `https://127.0.0.1:${httpsPort}/${tenant[1]}`
    if (tenant[2].startsWith('v2.0')) {
      return send(200, {token_endpoint: `${base}/oauth2/v2.0/token`, authorization_endpoint: `${base}/oauth2/v2.0/authorize`, issuer: `https://127.0.0.1:${httpsPort}/${AZURE_TENANT}/v2.0`, jwks_uri: `${base}/discovery/v2.0/keys`, response_types_supported: ['code']})
    }
    received.azureForm = body
    return send(200, {token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: `eyJ${randomBytes(24).toString('base64url')}`})
  }
  const auth = req.headers.authorization ?? ''
  const host = url.pathname.startsWith('/dns/v1/') ? 'gcloud' : 'azure'
  received[host] = auth
  const form = new URLSearchParams(received.azureForm ?? '')
  const echo = `request with Authorization: ${auth} refused; token ${auth.replace(/^Bearer /, '')}; client_secret ${form.get('client_secret') ?? '-'}; key ${gcloudKey.id}`
  return send(400, {error: host === 'azure' ? {code: 'BadRequest', message: echo} : {code: 400, message: echo, errors: [{domain: 'global', reason: 'invalid', message: echo}]}})
}

function nameWire(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean)
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)])), Buffer.from([0])])
}

/**
 * Answers every UPDATE (and signed query) NOERROR, "signed" by a key whose
 * name is the TSIG secret: the client reports which key signed the answer.
 */
function tsigEchoAnswer(request: Buffer): Buffer {
  const id = request.readUInt16BE(0)
  const opcode = (request.readUInt16BE(2) >> 11) & 0xf
  // The question (zone) section of the request, copied.
  let end = 12
  while (request[end] !== 0) end += request[end] + 1
  const question = request.subarray(12, end + 5)
  const header = Buffer.alloc(12)
  header.writeUInt16BE(id, 0)
  header.writeUInt16BE(0x8000 | (opcode << 11), 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(1, 10)
  const mac = randomBytes(32)
  const now = Math.floor(Date.now() / 1000)
  const fixed = Buffer.alloc(10)
  fixed.writeUInt16BE(Math.floor(now / 2 ** 32), 0)
  fixed.writeUInt32BE(now % 2 ** 32, 2)
  fixed.writeUInt16BE(300, 6)
  fixed.writeUInt16BE(mac.length, 8)
  const tail = Buffer.alloc(6)
  tail.writeUInt16BE(id, 0)
  const rdata = Buffer.concat([nameWire('hmac-sha256'), fixed, mac, tail])
  const rr = Buffer.alloc(10)
  rr.writeUInt16BE(250, 0)
  rr.writeUInt16BE(255, 2)
  rr.writeUInt16BE(rdata.length, 8)
  return Buffer.concat([header, question, nameWire(SECRET.rfc2136), rr, rdata])
}

beforeAll(async () => {
  lab = await startLab({zones: ['cloudflare', 'powerdns', 'route53', 'rfc2136', 'azure', 'gcloud'].map((h) => cutoverZone(zoneOf(h), 300))})
  ca = createTestCa()
  const {key, cert} = ca.issue(['127.0.0.1', 'localhost'])
  const secure = https.createServer({key, cert}, (req, res) => void handleHttps(req, res))
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', () => resolve()))
  httpsPort = (secure.address() as AddressInfo).port
  servers.push({close: () => secure.close()})
  gcloudKey.json = join(dir, 'gcloud-key.json')
  writeFileSync(
    gcloudKey.json,
    JSON.stringify({type: 'service_account', project_id: 'contoso-dns', private_key_id: gcloudKey.id, private_key: gcloudKey.pem, client_email: 'mxcut@contoso-dns.iam.gserviceaccount.com', client_id: '1', token_uri: `https://127.0.0.1:${httpsPort}/token`}),
    {mode: 0o600},
  )
  const server = http.createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  httpPort = (server.address() as AddressInfo).port
  servers.push({close: () => server.close()})
  const udp = dgram.createSocket('udp4')
  udp.on('message', (msg, rinfo) => {
    received.rfc2136 = 'signed'
    udp.send(tsigEchoAnswer(msg), rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()))
  dnsPort = udp.address().port
  servers.push({close: () => udp.close()})
})
afterAll(async () => {
  for (const s of servers) s.close()
  await lab?.stop()
})

interface Scenario {
  /** The host's settings block, secrets as env: references. */
  block?: string
  env?: Record<string, string>
  /** The secret values that must never appear. */
  secrets?: string[]
  /** A host that takes no secret at all. */
  none?: true
  /** The host quotes the API's answer in its message, so the echo must show as [redacted]; false for hosts that never quote a body. */
  quotes?: boolean
  /** Secrets known only once the fake API saw them (tokens the SDK made). */
  later?: () => string[]
}

const SCENARIOS: Record<string, () => Scenario> = {
  manual: () => ({none: true}),
  octodns: () => ({none: true}),
  zonefile: () => ({none: true}),
  azure: () => ({
    block: `  azure: {subscriptionId: 11111111-2222-3333-4444-555555555555, resourceGroup: dns-rg, auth: service-principal, tenantId: ${AZURE_TENANT}, clientId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee, clientSecret: env:LEAK_SECRET, endpoint: https://127.0.0.1:${httpsPort}, authorityHost: https://127.0.0.1:${httpsPort}}`,
    env: {LEAK_SECRET: SECRET.azure, NODE_EXTRA_CA_CERTS: ca.caFile},
    secrets: [SECRET.azure],
    quotes: false,
    later: () => [(received.azure ?? '').replace(/^Bearer /, '')],
  }),
  gcloud: () => ({
    block: `  gcloud: {project: contoso-dns, managedZone: leak-gcloud, auth: service-account, keyFile: 'file:${gcloudKey.json}', endpoint: https://127.0.0.1:${httpsPort}}`,
    env: {NODE_EXTRA_CA_CERTS: ca.caFile},
    secrets: [gcloudKey.id, gcloudKey.pem.split('\n')[1]],
    quotes: false,
    later: () => [(received.gcloud ?? '').replace(/^Bearer /, '')],
  }),
  cloudflare: () => ({
    block: `  cloudflare: {apiToken: env:LEAK_SECRET, zoneId: ${ZONE_ID}, baseUrl: http://127.0.0.1:${httpPort}/client/v4}`,
    env: {LEAK_SECRET: SECRET.cloudflare},
    secrets: [SECRET.cloudflare],
  }),
  powerdns: () => ({block: `  powerdns: {url: http://127.0.0.1:${httpPort}, apiKey: env:LEAK_SECRET}`, env: {LEAK_SECRET: SECRET.powerdns}, secrets: [SECRET.powerdns]}),
  route53: () => ({
    block: `  route53: {hostedZoneId: ZLEAK0123456789, endpoint: http://127.0.0.1:${httpPort}, accessKeyId: env:LEAK_KEY_ID, secretAccessKey: env:LEAK_SECRET}`,
    env: {LEAK_KEY_ID: SECRET.route53KeyId, LEAK_SECRET: SECRET.route53},
    secrets: [SECRET.route53KeyId, SECRET.route53],
  }),
  rfc2136: () => ({
    block: `  rfc2136: {server: 127.0.0.1:${dnsPort}, key: {name: leak-key, algorithm: hmac-sha256, secret: env:LEAK_SECRET}}`,
    env: {LEAK_SECRET: SECRET.rfc2136},
    secrets: [SECRET.rfc2136, Buffer.from(SECRET.rfc2136, 'base64').toString('hex')],
  }),
}

describe('no secret leaves mxcut, whatever a DNS host echoes', () => {
  test('every host of the registry has a scenario here; those with secret settings echo them', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(hostModules.map((m) => m.name).sort())
    for (const m of hostModules) {
      const withSecrets = m.settings !== null && secretFields(m.settings).length > 0
      expect(withSecrets, `${m.name}: secret settings ${m.settings ? secretFields(m.settings).join(', ') : 'none'}`).toBe(SCENARIOS[m.name]().none !== true)
    }
  })

  test.each(hostModules.map((m) => m.name))('%s', {timeout: 90_000}, async (name) => {
    const module = hostModules.find((m) => m.name === name)!
    const scenario = SCENARIOS[name]()
    if (scenario.none) {
      // Nothing to leak: no secret reference among its settings or its init questions.
      expect(module.init.questions.some((q) => q.secret)).toBe(false)
      expect(module.settings === null ? [] : secretFields(module.settings)).toEqual([])
      return
    }
    const zone = zoneOf(name)
    const dnsLines = ['dns:', `  host: ${name}`, scenario.block ?? '', `  nameservers: [${lab.primary.address}, ${lab.secondary.address}]`, 'resolvers: []']
    const plan = await makePlan(dir, lab, zone, {lowered: 60, margin: 0, dnsLines})
    const r = await runCli(['run', plan, '--yes', '--debug'], {env: scenario.env})
    // The host failed at the first change; nothing reached DNS.
    expect(r.code, r.stdout).toBe(2)
    expect(await serialOn(lab.primary, zone)).toBe(100)
    expect(received[name], 'the fake API was reached').toBeTruthy()
    process.stdout.write(`[redact] ${name}: ${r.stderr.split('\n')[0]}\n`)
    const journal = readFileSync(plan.replace(/\.json$/, '.journal.ndjson'), 'utf8')
    const state = JSON.parse(readFileSync(plan, 'utf8')) as PlanState
    if (scenario.quotes !== false) {
      expect(r.stderr.split('\n')[0]).toMatch(/^mxcut: .*\[redacted\]/)
      expect(state.steps.find((s) => s.id === 'lower-ttl')?.error ?? '').toMatch(/\[redacted\]/)
      expect(journal).toMatch(/\[redacted\]/)
    }
    const secrets = [...(scenario.secrets ?? []), ...(scenario.later?.() ?? [])].filter((s) => s.length >= 8)
    expect(secrets.length).toBeGreaterThan(0)
    for (const [where, text] of Object.entries({stdout: r.stdout, stderr: r.stderr, journal, plan: JSON.stringify(state)})) {
      for (const secret of secrets) expect(text.toLowerCase(), `${name}: secret in ${where}`).not.toContain(secret.toLowerCase())
    }
  })
})

/** Paths of the settings fields that hold a secret reference (env:NAME or file:PATH). */
function secretFields(schema: z.ZodType): string[] {
  const out: string[] = []
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object') return
    const n = node as Record<string, unknown>
    if (n.pattern === SECRET_REF.source) out.push(path || '(root)')
    for (const [k, v] of Object.entries(n)) walk(v, k === 'properties' ? path : `${path}.${k}`)
  }
  walk(z.toJSONSchema(schema, {io: 'input', unrepresentable: 'any'}), '')
  return out
}
