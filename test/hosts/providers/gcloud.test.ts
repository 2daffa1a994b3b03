/**
 * CONTRACT TESTS. Google Cloud cannot be reached from here, so the gcloud
 * host (through the official @google-cloud/dns) runs against a local HTTPS
 * server that speaks the documented Cloud DNS v1 REST API and a Compute Engine
 * metadata server (test/hosts/fixtures/gcloud-api.ts), whose zone is served
 * over DNS by a name server on loopback, as Cloud DNS's name servers serve
 * what its API holds. The host runs in its own process (the CLI, or a probe)
 * that trusts the stand-in's test CA. These tests prove what mxcut sends and
 * how it reads the answers, not that Google agrees.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, test} from 'vitest'
import {serverLabel} from '../../../src/dns/server.js'
import type {RRset} from '../../../src/zone/rrset.js'
import {runCli} from '../../helpers/cli.js'
import {createTestCa, type TestCa} from '../../helpers/tls.js'
import {readJournalLines, readPlan} from '../../run/lab-plan.js'
import {startStubResolver, type StubResolver} from '../../run/stub-resolver.js'
import {startApiZone, type ApiZone} from '../fixtures/api-zone.js'
import {GCLOUD_PROJECT, GCLOUD_ZONE, startGcloudStandIn, type GcloudStandIn} from '../fixtures/gcloud-api.js'
import {runProbe} from '../fixtures/run-probe.js'

const ZONE = 'contoso-gcloud.test'
const FIRST = 'v=spf1 mx include:spf-a.providers.test '
const SECOND = 'include:spf-b.providers.test -all'
const MERGED = [FIRST, 'include:spf-b.providers.test include:spf-t.providers.test -all']
const CLEANED = ['v=spf1 mx ', 'include:spf-b.providers.test include:spf-t.providers.test -all']
const dir = mkdtempSync(join(tmpdir(), 'mxcut-gcloud-'))

const initial = (): RRset[] => [
  {name: ZONE, type: 'MX', ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]},
  {name: `mail.${ZONE}`, type: 'A', ttl: 60, records: ['127.0.0.25']},
  {name: ZONE, type: 'TXT', ttl: 2, records: [[FIRST, SECOND]]},
  {name: ZONE, type: 'NS', ttl: 60, records: [`ns1.${ZONE}`]},
]

let ca: TestCa
let zone: ApiZone
let gcloud: GcloudStandIn
let resolver: StubResolver
let keyFile: string
let strangerFile: string

beforeAll(async () => {
  ca = createTestCa()
  zone = await startApiZone(ZONE, initial())
  gcloud = await startGcloudStandIn(zone, ca)
  resolver = await startStubResolver(ZONE, zone.dns)
  keyFile = join(dir, 'key.json')
  strangerFile = join(dir, 'stranger.json')
  writeFileSync(keyFile, gcloud.key, {mode: 0o600})
  writeFileSync(strangerFile, gcloud.unknownKey, {mode: 0o600})
})
afterAll(async () => {
  await resolver?.stop()
  await gcloud?.close()
  await zone?.close()
})
beforeEach(async () => {
  gcloud.requests.length = 0
  await zone.write(initial(), [{name: `autodiscover.${ZONE}`, type: 'CNAME'}])
})

const settings = (overrides: Record<string, unknown> = {}) => ({project: GCLOUD_PROJECT, managedZone: GCLOUD_ZONE, auth: 'service-account', keyFile: `file:${keyFile}`, endpoint: gcloud.url, ...overrides})

const probe = (ops: unknown[], o: {settings?: Record<string, unknown>; env?: Record<string, string>} = {}) =>
  runProbe({config: {host: 'gcloud', gcloud: settings(o.settings)}, zone: ZONE, ops, caFile: ca.caFile, env: o.env})

const posts = () => gcloud.requests.filter((r) => r.method === 'POST')
const privateKeyOf = (json: string) => (JSON.parse(json) as {private_key: string}).private_key.split('\n')[1]

describe('gcloud host (contract tests against a local stand-in speaking the documented Cloud DNS v1 API)', () => {
  test('service account: check reads the managed zone; rrsets listed by name and type, TXT strings as held; the key signs its own token', async () => {
    const run = await probe([{op: 'check'}, {op: 'read', name: ZONE, type: 'MX'}, {op: 'read', name: ZONE, type: 'TXT'}, {op: 'read', name: `autodiscover.${ZONE}`, type: 'CNAME'}])
    expect(run.results).toEqual([
      {ok: true, value: null},
      {ok: true, value: {name: ZONE, type: 'MX', ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]}},
      {ok: true, value: {name: ZONE, type: 'TXT', ttl: 2, records: [[FIRST, SECOND]]}},
      {ok: true, value: null},
    ])
    const list = gcloud.requests.find((r) => r.path.endsWith('/rrsets'))
    expect(list?.path).toBe(`/dns/v1/projects/${GCLOUD_PROJECT}/managedZones/${GCLOUD_ZONE}/rrsets`)
    expect([list?.query.get('name'), list?.query.get('type')]).toEqual([`${ZONE}.`, 'MX'])
    expect(run.output).not.toContain(privateKeyOf(gcloud.key))
  })

  test('one change holds every change: deletions exactly as read (data and TTL), additions as planned; polled until done', async () => {
    const run = await probe([
      {
        op: 'apply',
        changes: [
          {action: 'replace', name: ZONE, type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'mx.providers.test'}], expect: {ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]}},
          {action: 'replace', name: `autodiscover.${ZONE}`, type: 'CNAME', ttl: 3600, records: ['autodiscover.outlook.test'], expect: null},
          {action: 'replace', name: ZONE, type: 'TXT', ttl: 2, records: [MERGED], expect: {ttl: 2, records: [[FIRST, SECOND]]}},
        ],
      },
    ])
    expect(run.results).toEqual([{ok: true, value: null}])
    expect(posts()).toHaveLength(1)
    const body = JSON.parse(posts()[0].body) as {additions: unknown[]; deletions: unknown[]}
    // The SDK groups records by type: the order of the sets is its own.
    const byName = (a: unknown[]) => ({length: a.length, sets: expect.arrayContaining(a)})
    expect({length: body.deletions.length, sets: body.deletions}).toEqual(
      byName([
        {name: `${ZONE}.`, type: 'MX', ttl: 3, rrdatas: [`10 mail.${ZONE}.`]},
        {name: `${ZONE}.`, type: 'TXT', ttl: 2, rrdatas: [`"${FIRST}" "${SECOND}"`]},
      ]),
    )
    expect({length: body.additions.length, sets: body.additions}).toEqual(
      byName([
        {name: `${ZONE}.`, type: 'MX', ttl: 300, rrdatas: ['0 mx.providers.test.']},
        {name: `autodiscover.${ZONE}.`, type: 'CNAME', ttl: 3600, rrdatas: ['autodiscover.outlook.test.']},
        {name: `${ZONE}.`, type: 'TXT', ttl: 2, rrdatas: [MERGED.map((s) => `"${s}"`).join(' ')]},
      ]),
    )
    expect(gcloud.requests.filter((r) => /\/changes\/\d+$/.test(r.path))).toHaveLength(2) // pending, then done
    expect(zone.get(ZONE, 'TXT')?.rrset.records).toEqual([MERGED])
  })

  test('concurrent edits are refused: one between our read and the change (412 conditionNotMet), and a set that differs from the plan before any change; the colleague’s data stays', async () => {
    const colleague: RRset = {name: ZONE, type: 'MX', ttl: 3, records: [{priority: 5, exchange: 'mx.colleague.test'}]}
    gcloud.interfereOnce(colleague)
    const swap = {action: 'replace', name: ZONE, type: 'MX', ttl: 1, records: [{priority: 0, exchange: 'mx.providers.test'}], expect: {ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]}}
    const run = await probe([{op: 'apply', changes: [swap]}, {op: 'apply', changes: [swap]}])
    const [raced, stale] = run.results
    expect(raced).toMatchObject({ok: false, kind: 'conflict'})
    expect(raced.ok === false && raced.message).toMatch(/^contoso-gcloud\.test MX changed since it was read: expected 10 mail\.contoso-gcloud\.test\., found 5 mx\.colleague\.test\.; re-run the plan against live DNS \(Cloud DNS zone contoso-gcloud \(project contoso-dns\) answered HTTP 412\)$/)
    expect(stale).toMatchObject({ok: false, kind: 'conflict', message: expect.stringMatching(/^contoso-gcloud\.test MX changed since it was read/)})
    expect(posts()).toHaveLength(1)
    expect(zone.get(ZONE, 'MX')?.rrset.records).toEqual(colleague.records)
  })

  test('refusals are one line each with no key or body: an unknown service account, another project, a managed zone that does not exist', async () => {
    const unknown = await probe([{op: 'check'}], {settings: {keyFile: `file:${strangerFile}`}})
    expect(unknown.results[0]).toMatchObject({ok: false, kind: 'auth', message: expect.stringMatching(/^Cloud DNS zone contoso-gcloud \(project contoso-dns\) refused the service-account credentials while reading managed zone contoso-gcloud \(HTTP 401 authError\); they need the DNS Administrator role/)})
    const project = await probe([{op: 'check'}], {settings: {project: 'fabrikam-dns'}})
    expect(project.results[0]).toMatchObject({ok: false, kind: 'auth', message: expect.stringContaining('(HTTP 403 forbidden)')})
    const missing = await probe([{op: 'check'}], {settings: {managedZone: 'fabrikam'}})
    expect(missing.results[0]).toMatchObject({ok: false, kind: 'zone-not-found', message: expect.stringMatching(/^Cloud DNS zone fabrikam \(project contoso-dns\) does not exist \(HTTP 404 notFound\)/)})
    const notAKey = await probe([{op: 'check'}], {settings: {keyFile: 'env:MXCUT_NOT_A_KEY'}, env: {MXCUT_NOT_A_KEY: '{"type": "authorized_user"}'}})
    expect(notAKey.results[0]).toMatchObject({ok: false, message: 'env:MXCUT_NOT_A_KEY is not a service account key (type service_account, client_email, private_key)'})
    for (const r of [unknown, project, missing, notAKey]) {
      for (const res of r.results) if (!res.ok) expect(res.message).not.toMatch(/\n|invalid authentication|does not have permission|does not exist\./)
      expect(r.output).not.toContain(privateKeyOf(gcloud.key))
      expect(r.output).not.toContain(privateKeyOf(gcloud.unknownKey))
    }
  })

  test('application default credentials: a key file named by GOOGLE_APPLICATION_CREDENTIALS, or the metadata server; with neither, refused at once under the loopback guard', async () => {
    const adc = {auth: 'application-default', keyFile: undefined}
    const file = await probe([{op: 'read', name: ZONE, type: 'MX'}], {settings: adc, env: {GOOGLE_APPLICATION_CREDENTIALS: keyFile}})
    expect(file.results[0]).toMatchObject({ok: true, value: {type: 'MX'}})
    const metadata = await probe([{op: 'read', name: ZONE, type: 'MX'}], {settings: adc, env: {GOOGLE_APPLICATION_CREDENTIALS: '', GCE_METADATA_HOST: gcloud.metadataHost}})
    expect(metadata.results[0], metadata.output.slice(0, 2000)).toMatchObject({ok: true, value: {type: 'MX'}})
    const nothing = await probe([{op: 'check'}], {settings: adc, env: {GOOGLE_APPLICATION_CREDENTIALS: '', GCE_METADATA_HOST: '', GCE_METADATA_IP: ''}})
    expect(nothing.results[0]).toMatchObject({ok: false, message: expect.stringMatching(/^refusing HTTPS connection to 169\.254\.169\.254: MXCUT_LOOPBACK_ONLY is set/)})
  })
})

describe('gcloud host: a full plan, then run --yes, against the stand-in (contract test)', () => {
  function config(name: string): string {
    const path = join(dir, `${name}.yaml`)
    writeFileSync(
      path,
      [
        'version: 1',
        `domain: ${ZONE}`,
        'target: {profile: custom, mx: ["0 mx.providers.test"], spfInclude: spf-t.providers.test}',
        'source: {spfInclude: spf-a.providers.test}',
        'ttl: {lowered: 1, margin: 0}',
        'cleanup: {soak: 0s}',
        'dns:',
        '  host: gcloud',
        `  gcloud: ${JSON.stringify(settings())}`,
        `  nameservers: ["${serverLabel(zone.dns)}"]`,
        `resolvers: ["${serverLabel(resolver.server)}"]`,
        '',
      ].join('\n'),
    )
    return path
  }
  const env = () => ({NODE_EXTRA_CA_CERTS: ca.caFile})

  test('plan, run --yes: every step done through changes that name what they delete; the name server serves the target MX and the SPF still in two strings', {timeout: 120_000}, async () => {
    const plan = join(dir, 'full.plan.json')
    const planned = await runCli(['plan', config('full'), '--out', plan, '--no-audit'], {env: env()})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    const run = await runCli(['run', plan, '--yes'], {env: env(), timeoutMs: 100_000})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const state = readPlan(plan)
    expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
    expect(zone.get(ZONE, 'MX')?.rrset).toEqual({name: ZONE, type: 'MX', ttl: 3, records: [{priority: 0, exchange: 'mx.providers.test'}]})
    expect(zone.get(ZONE, 'TXT')?.rrset.records).toEqual([CLEANED])
    for (const text of [run.stdout, run.stderr, readFileSync(plan, 'utf8')]) expect(text).not.toContain(privateKeyOf(gcloud.key))
  })

  test('a colleague edits the MX in the console between the read and the change of the swap: the run stops on the refused change, their MX kept', {timeout: 120_000}, async () => {
    const plan = join(dir, 'race.plan.json')
    const planned = await runCli(['plan', config('race'), '--out', plan, '--no-audit'], {env: env()})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    const colleague: RRset = {name: ZONE, type: 'MX', ttl: 1, records: [{priority: 5, exchange: 'mx.colleague.test'}]}
    gcloud.interfereOnce(colleague)
    const run = await runCli(['run', plan, '--yes'], {env: env(), timeoutMs: 100_000})
    expect(run.code, run.stdout + run.stderr).not.toBe(0)
    expect(run.stdout + run.stderr).toMatch(/changed since it was read: .*found 5 mx\.colleague\.test\..*answered HTTP 412/)
    expect(zone.get(ZONE, 'MX')?.rrset.records).toEqual(colleague.records)
    expect(readJournalLines(plan).find((e) => e.event === 'outcome' && e['result'] === 'failed')?.['errorKind']).toBe('conflict')
  })
})
