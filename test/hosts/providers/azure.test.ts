/**
 * CONTRACT TESTS. Azure cannot be reached from here, so the azure host
 * (through the official @azure/arm-dns and @azure/identity) runs against a
 * local HTTPS server that speaks the documented Azure DNS REST API and the
 * Microsoft identity platform's token endpoints (test/hosts/fixtures/azure-api.ts),
 * whose zone is served over DNS by a name server on loopback, as Azure's name
 * servers serve what its API holds. The host runs in its own process (the
 * CLI, or a probe), which trusts the stand-in's test CA. These tests prove
 * what mxcut sends and how it reads the answers, not that Azure agrees.
 */
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
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
import {AZURE_CLIENT, AZURE_RG, AZURE_SUB, AZURE_TENANT, startAzureStandIn, type AzureStandIn} from '../fixtures/azure-api.js'
import {runProbe} from '../fixtures/run-probe.js'

const ZONE = 'contoso-azure.test'
const FIRST = 'v=spf1 mx include:spf-a.providers.test '
const SECOND = 'include:spf-b.providers.test -all'
const MERGED = [FIRST, 'include:spf-b.providers.test include:spf-t.providers.test -all']
const CLEANED = ['v=spf1 mx ', 'include:spf-b.providers.test include:spf-t.providers.test -all']
const dir = mkdtempSync(join(tmpdir(), 'mxcut-azure-'))

const initial = (): RRset[] => [
  {name: ZONE, type: 'MX', ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]},
  {name: `mail.${ZONE}`, type: 'A', ttl: 60, records: ['127.0.0.25']},
  {name: ZONE, type: 'TXT', ttl: 2, records: [[FIRST, SECOND]]},
  {name: ZONE, type: 'NS', ttl: 60, records: [`ns1.${ZONE}`]},
]

let ca: TestCa
let zone: ApiZone
let azure: AzureStandIn
let resolver: StubResolver

beforeAll(async () => {
  ca = createTestCa()
  zone = await startApiZone(ZONE, initial())
  azure = await startAzureStandIn(zone, ca)
  resolver = await startStubResolver(ZONE, zone.dns)
})
afterAll(async () => {
  await resolver?.stop()
  await azure?.close()
  await zone?.close()
})
beforeEach(async () => {
  azure.requests.length = 0
  await zone.write(initial(), [{name: ZONE, type: 'CNAME'}, {name: `autodiscover.${ZONE}`, type: 'CNAME'}])
})

function settings(overrides: Record<string, unknown> = {}) {
  return {
    subscriptionId: AZURE_SUB,
    resourceGroup: AZURE_RG,
    auth: 'service-principal',
    tenantId: AZURE_TENANT,
    clientId: AZURE_CLIENT,
    clientSecret: 'env:MXCUT_AZ_SECRET',
    endpoint: azure.url,
    authorityHost: azure.url,
    ...overrides,
  }
}

const probe = (ops: unknown[], o: {settings?: Record<string, unknown>; env?: Record<string, string>} = {}) =>
  runProbe({config: {host: 'azure', azure: settings(o.settings)}, zone: ZONE, ops, caFile: ca.caFile, env: {MXCUT_AZ_SECRET: azure.clientSecret, ...o.env}})

const writes = () => azure.requests.filter((r) => r.method === 'PUT' || r.method === 'DELETE')

describe('azure host (contract tests against a local stand-in speaking the documented Azure DNS REST API)', () => {
  test('service principal: check reads the zone; reads record sets with their TXT strings as held; an absent set is null', async () => {
    const run = await probe([{op: 'check'}, {op: 'read', name: ZONE, type: 'MX'}, {op: 'read', name: ZONE, type: 'TXT'}, {op: 'read', name: `autodiscover.${ZONE}`, type: 'CNAME'}])
    expect(run.results).toEqual([
      {ok: true, value: null},
      {ok: true, value: {name: ZONE, type: 'MX', ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]}},
      {ok: true, value: {name: ZONE, type: 'TXT', ttl: 2, records: [[FIRST, SECOND]]}},
      {ok: true, value: null},
    ])
    const token = azure.requests.find((r) => r.path.endsWith('/oauth2/v2.0/token'))
    expect(new URLSearchParams(token?.body).get('scope')).toBe(`${azure.url}/.default`)
    const get = azure.requests.find((r) => r.path.endsWith('/MX/@'))
    expect(get?.path).toBe(`/subscriptions/${AZURE_SUB}/resourceGroups/${AZURE_RG}/providers/Microsoft.Network/dnsZones/${ZONE}/MX/@`)
    expect(get?.query.get('api-version')).toBe('2018-05-01')
    expect(run.output).not.toContain(azure.clientSecret)
  })

  test('a record set is replaced whole with If-Match: the ETag it was read with; a new one is created with If-None-Match: *', async () => {
    // Azure shows the ETag unquoted in the body; the SDK sends it back as it read it.
    const mxEtag = `v${zone.get(ZONE, 'MX')?.version}`
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
    const [mx, cname, txt] = writes()
    expect([mx.method, mx.path.split('/').slice(-2).join('/'), mx.headers['if-match'], mx.headers['if-none-match']]).toEqual(['PUT', 'MX/@', mxEtag, undefined])
    expect(JSON.parse(mx.body)).toEqual({properties: {TTL: 300, MXRecords: [{preference: 0, exchange: 'mx.providers.test'}]}})
    expect([cname.path.split('/').slice(-2).join('/'), cname.headers['if-none-match'], cname.headers['if-match']]).toEqual(['CNAME/autodiscover', '*', undefined])
    expect(JSON.parse(cname.body)).toEqual({properties: {TTL: 3600, CNAMERecord: {cname: 'autodiscover.outlook.test'}}})
    // The strings of the TXT record go as they are: one entry of TXTRecords, its value the two strings.
    expect(JSON.parse(txt.body)).toEqual({properties: {TTL: 2, TXTRecords: [{value: MERGED}]}})
    expect(zone.get(ZONE, 'TXT')?.rrset.records).toEqual([MERGED])
  })

  test('concurrent edits are refused: a set that differs from the plan before any write, and one changed between read and write (412), each one line; the colleague’s data stays', async () => {
    const colleague: RRset = {name: ZONE, type: 'MX', ttl: 3, records: [{priority: 5, exchange: 'mx.colleague.test'}]}
    azure.interfereOnce(ZONE, 'MX', colleague)
    const swap = {action: 'replace', name: ZONE, type: 'MX', ttl: 1, records: [{priority: 0, exchange: 'mx.providers.test'}], expect: {ttl: 3, records: [{priority: 10, exchange: `mail.${ZONE}`}]}}
    const run = await probe([{op: 'apply', changes: [swap]}, {op: 'apply', changes: [swap]}])
    const [raced, stale] = run.results
    expect(raced).toMatchObject({ok: false, kind: 'conflict'})
    expect(raced.ok === false && raced.message).toMatch(/^Azure DNS zone contoso-azure\.test \(resource group dns-rg\): the record set changed while changing contoso-azure\.test MX \(HTTP 412 PreconditionFailed: its ETag no longer matches\); re-run the plan against live DNS$/)
    expect(stale).toMatchObject({ok: false, kind: 'conflict'})
    expect(stale.ok === false && stale.message).toMatch(/^contoso-azure\.test MX changed since it was read: expected 10 mail\.contoso-azure\.test\., found 5 mx\.colleague\.test\.; re-run the plan/)
    // One write was tried (refused); the second apply wrote nothing.
    expect(writes()).toHaveLength(1)
    expect(zone.get(ZONE, 'MX')?.rrset.records).toEqual(colleague.records)
  })

  test('refusals are one line each with no secret or body: a wrong secret, another subscription, a zone that does not exist', async () => {
    const wrong = 'wrong-secret-' + Date.now()
    const bad = await probe([{op: 'check'}], {env: {MXCUT_AZ_SECRET: wrong}})
    expect(bad.results[0], bad.output.slice(0, 3000)).toMatchObject({ok: false, kind: 'auth'})
    expect(bad.results[0].ok === false && bad.results[0].message).toMatch(/Microsoft Entra refused the service-principal credential while reading zone contoso-azure\.test \(invalid_client\); check dns\.azure\.tenantId, clientId and the secret in env:MXCUT_AZ_SECRET/)
    const other = await probe([{op: 'check'}], {settings: {subscriptionId: '00000000-0000-0000-0000-000000000000'}})
    expect(other.results[0]).toMatchObject({ok: false, kind: 'auth', message: expect.stringMatching(/refused the service-principal credential while reading zone .*\(HTTP 403 AuthorizationFailed\); it needs the DNS Zone Contributor role/)})
    const missing = await probe([{op: 'check'}], {settings: {zone: 'fabrikam.test'}})
    expect(missing.results[0]).toMatchObject({ok: false, kind: 'zone-not-found', message: expect.stringMatching(/^Azure DNS zone fabrikam\.test \(resource group dns-rg\) does not exist in subscription .* \(HTTP 404 ResourceNotFound\)/)})
    for (const r of [bad, other, missing]) {
      for (const res of r.results) if (!res.ok) expect(res.message).not.toMatch(/\n|AADSTS|does not have authorization|was not found/)
      expect(r.output).not.toContain(wrong)
      expect(r.output).not.toContain(azure.clientSecret)
    }
  })

  test('managed identity (the App Service endpoint) and Azure CLI login get tokens the documented ways; outside Azure, managed identity is refused at once under the loopback guard', async () => {
    const mi = await probe([{op: 'read', name: ZONE, type: 'MX'}], {
      settings: {auth: 'managed-identity', tenantId: undefined, clientId: undefined, clientSecret: undefined},
      env: {IDENTITY_ENDPOINT: `${azure.url}/msi/token`, IDENTITY_HEADER: azure.identityHeader},
    })
    expect(mi.results[0]).toMatchObject({ok: true, value: {type: 'MX'}})
    expect(azure.requests.find((r) => r.path === '/msi/token')?.query.get('resource')).toBe(azure.url)

    // The CLI credential runs `az account get-access-token`; a script stands in for az, printing what az prints.
    const bin = mkdtempSync(join(tmpdir(), 'mxcut-az-'))
    const token = await fetchToken()
    writeFileSync(
      join(bin, 'az'),
      `#!/bin/sh\necho "$@" > "${bin}/args"\necho '{"accessToken": "${token}", "expiresOn": "2099-01-01 00:00:00.000000", "expires_on": 4070908800, "subscription": "${AZURE_SUB}", "tenant": "${AZURE_TENANT}", "tokenType": "Bearer"}'\n`,
    )
    chmodSync(join(bin, 'az'), 0o755)
    const cli = await probe([{op: 'read', name: ZONE, type: 'MX'}], {settings: {auth: 'azure-cli', tenantId: undefined, clientId: undefined, clientSecret: undefined}, env: {PATH: `${bin}:${process.env.PATH}`}})
    expect(cli.results[0]).toMatchObject({ok: true, value: {type: 'MX'}})
    expect(readFileSync(join(bin, 'args'), 'utf8')).toMatch(`account get-access-token --output json --resource ${azure.url}`)
    writeFileSync(join(bin, 'az'), `#!/bin/sh\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`)
    const loggedOut = await probe([{op: 'check'}], {settings: {auth: 'azure-cli', tenantId: undefined, clientId: undefined, clientSecret: undefined}, env: {PATH: `${bin}:${process.env.PATH}`}})
    expect(loggedOut.results[0]).toMatchObject({ok: false, kind: 'auth', message: expect.stringMatching(/no azure-cli credential is available while reading zone .*; run az login/)})

    const imds = await probe([{op: 'check'}], {settings: {auth: 'managed-identity', tenantId: undefined, clientId: undefined, clientSecret: undefined}, env: {IDENTITY_ENDPOINT: '', MSI_ENDPOINT: ''}})
    expect(imds.results[0]).toMatchObject({ok: false, message: expect.stringMatching(/^refusing HTTPS connection to 169\.254\.169\.254: MXCUT_LOOPBACK_ONLY is set/)})
  })
})

/** A token the stand-in accepts, as `az` would have one cached. */
async function fetchToken(): Promise<string> {
  const run = await runProbe({config: {host: 'azure', azure: settings()}, zone: ZONE, ops: [{op: 'check'}], caFile: ca.caFile, env: {MXCUT_AZ_SECRET: azure.clientSecret}})
  expect(run.results[0]).toEqual({ok: true, value: null})
  const auth = azure.requests.filter((r) => r.headers.authorization?.startsWith('Bearer ')).pop()
  return auth?.headers.authorization?.slice(7) ?? ''
}

describe('azure host: a full plan, then run --yes, against the stand-in (contract test)', () => {
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
        '  host: azure',
        `  azure: ${JSON.stringify(settings())}`,
        `  nameservers: ["${serverLabel(zone.dns)}"]`,
        `resolvers: ["${serverLabel(resolver.server)}"]`,
        '',
      ].join('\n'),
    )
    return path
  }
  const env = () => ({NODE_EXTRA_CA_CERTS: ca.caFile, MXCUT_AZ_SECRET: azure.clientSecret})

  test('plan, run --yes: every step done through ETag-guarded writes; the name server serves the target MX and the SPF still in two strings', {timeout: 120_000}, async () => {
    const plan = join(dir, 'full.plan.json')
    const planned = await runCli(['plan', config('full'), '--out', plan, '--no-audit'], {env: env()})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    const run = await runCli(['run', plan, '--yes'], {env: env(), timeoutMs: 100_000})
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const state = readPlan(plan)
    expect(state.steps.map((s) => [s.id, s.status])).toEqual(state.steps.map((s) => [s.id, 'done']))
    expect(zone.get(ZONE, 'MX')?.rrset).toEqual({name: ZONE, type: 'MX', ttl: 3, records: [{priority: 0, exchange: 'mx.providers.test'}]})
    expect(zone.get(ZONE, 'TXT')?.rrset.records).toEqual([CLEANED])
    // Every write named the version it replaces, or asked for a set that did not exist.
    for (const w of writes()) expect(w.headers['if-match'] ?? w.headers['if-none-match'], `${w.method} ${w.path}`).toBeDefined()
    for (const text of [run.stdout, run.stderr, readFileSync(plan, 'utf8')]) expect(text).not.toContain(azure.clientSecret)
  })

  test('a colleague edits the MX in the portal between the read and the write of the swap: the run stops on the refused ETag, their MX kept', {timeout: 120_000}, async () => {
    const plan = join(dir, 'race.plan.json')
    const planned = await runCli(['plan', config('race'), '--out', plan, '--no-audit'], {env: env()})
    expect(planned.code, planned.stderr + planned.stdout).toBe(0)
    const colleague: RRset = {name: ZONE, type: 'MX', ttl: 1, records: [{priority: 5, exchange: 'mx.colleague.test'}]}
    azure.interfereOnce(ZONE, 'MX', colleague)
    const run = await runCli(['run', plan, '--yes'], {env: env(), timeoutMs: 100_000})
    expect(run.code, run.stdout + run.stderr).not.toBe(0)
    expect(run.stdout + run.stderr).toMatch(/the record set changed while changing contoso-azure\.test MX \(HTTP 412 PreconditionFailed: its ETag no longer matches\)/)
    expect(zone.get(ZONE, 'MX')?.rrset.records).toEqual(colleague.records)
    const failed = readJournalLines(plan).find((e) => e.event === 'outcome' && e['result'] === 'failed')
    expect(failed?.['errorKind']).toBe('conflict')
  })
})
