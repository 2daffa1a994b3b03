/**
 * `init` and `plan` never print or store a value the provider assigns per
 * tenant unless the tenant (Microsoft Graph) or the admin gave it. Graph is a
 * CONTRACT TEST here: a local HTTPS server speaking the documented v1.0 calls
 * (test/helpers/graph.ts), trusted through NODE_EXTRA_CA_CERTS; the DNS is
 * the lab's BIND.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {serverLabel} from '../../src/dns/server.js'
import {loadConfig} from '../../src/plan/config.js'
import type {PlanState} from '../../src/state/schema.js'
import {parseJson, runCli} from '../helpers/cli.js'
import {m365Domain, startFakeGraph, type FakeGraph} from '../helpers/graph.js'
import {startLab, type Lab} from './lab.js'

let lab: Lab
let graph: FakeGraph
let dir: string
const TENANT_MX = 'contoso-test.o-v1.mx.microsoft'

/** Hosts only a tenant can know: an assigned *.mx.microsoft MX, a DKIM target. */
const INVENTED = /[a-z0-9-]+\.[a-z0-9]+-v\d\.mx\.microsoft|[a-z0-9-]+\._domainkey\.[a-z0-9.-]+\.(onmicrosoft\.com|dkim\.mail\.microsoft)/gi

beforeAll(async () => {
  lab = await startLab({zones: [{name: 'contoso.test', serial: 3, records: ['@ 600 IN MX 10 mail', 'mail IN A 127.0.0.25', '@ IN TXT "v=spf1 mx -all"']}]})
  graph = await startFakeGraph()
  graph.domains.set('contoso.test', m365Domain('contoso.test', TENANT_MX, 'MS=ms31415926'))
  dir = mkdtempSync(join(tmpdir(), 'mxcut-tenant-'))
})
afterAll(async () => {
  await graph?.close()
  await lab?.stop()
})

const ns = () => ['--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--timeout', '800']
const env = () => ({GRAPH_TOKEN: graph.token, NODE_EXTRA_CA_CERTS: graph.ca.caFile})
const everything = (r: {stdout: string; stderr: string}, file?: string) => r.stdout + r.stderr + (file ? readFileSync(file, 'utf8') : '')

describe('values a provider assigns per tenant', () => {
  test('without Graph: init stores no MX and no DKIM it was not given; plan uses the documented MX, says so, and invents nothing', async () => {
    const config = join(dir, 'plain.yaml')
    const init = await runCli(['init', '--domain', 'contoso.test', '--to', 'microsoft365', '--verification', 'MS=ms27182818', '--out', config, ...ns()])
    expect(init.code, init.stderr).toBe(0)
    const loaded = await loadConfig(config)
    expect(loaded.target.mx).toBeUndefined()
    expect(loaded.target.dkim).toBe(false)
    expect(readFileSync(config, 'utf8')).toMatch(/dkim: false +# left out: copy the records from Microsoft Defender portal/)
    expect(everything(init, config).match(INVENTED)).toBeNull()

    const planFile = join(dir, 'plain.plan.json')
    const plan = await runCli(['plan', config, '--out', planFile, '--no-audit', ...ns()])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toMatch(/Target: +MX 0 contoso-test\.mail\.protection\.outlook\.com \(the profile's documented value; the value the provider shows for the domain wins: target\.mx\)/)
    expect(everything(plan, planFile).match(INVENTED)).toBeNull()
  })

  test('a hand-written config without DKIM: the plan is refused naming the Defender page, and writes nothing', async () => {
    const config = join(dir, 'nodkim.yaml')
    writeFileSync(config, `version: 1\ndomain: contoso.test\ntarget: {profile: microsoft365}\ndns: {nameservers: [${serverLabel(lab.primary)}, ${serverLabel(lab.secondary)}]}\n`)
    const planFile = join(dir, 'nodkim.plan.json')
    const plan = await runCli(['plan', config, '--out', planFile, '--no-audit', '--format', 'json'])
    expect(plan.code).toBe(1)
    const json = parseJson<{plans: Array<{blockers: Array<{code: string; message: string}>}>}>(plan)
    expect(json.plans[0].blockers).toEqual([expect.objectContaining({code: 'TARGET_VALUE_MISSING', message: expect.stringMatching(/security\.microsoft\.com\/authentication\?viewid=DKIM.*Get-DkimSigningConfig -Identity contoso\.test/)})])
    expect(everything(plan).match(INVENTED)).toBeNull()
    expect(() => readFileSync(planFile)).toThrow()
  })

  test("with Graph: init and plan use the tenant's exact values, and only those", async () => {
    const config = join(dir, 'graph.yaml')
    const init = await runCli(['init', '--domain', 'contoso.test', '--to', 'microsoft365', '--graph-token', 'env:GRAPH_TOKEN', '--graph-endpoint', graph.endpoint, '--out', config, ...ns()], {env: env()})
    expect(init.code, init.stderr).toBe(0)
    const loaded = await loadConfig(config)
    expect(loaded.target).toMatchObject({profile: 'microsoft365', graph: {token: 'env:GRAPH_TOKEN', endpoint: graph.endpoint}, dkim: false})
    expect(loaded.target.mx).toBeUndefined()
    expect(loaded.target.verification).toBeUndefined()
    expect(readFileSync(config, 'utf8')).not.toContain(graph.token)

    const planFile = join(dir, 'graph.plan.json')
    const plan = await runCli(['plan', config, '--out', planFile, '--no-audit', ...ns()], {env: env()})
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toContain(`Target:  MX 0 ${TENANT_MX} (from Microsoft Graph)`)
    const state = JSON.parse(readFileSync(planFile, 'utf8')) as PlanState
    const swap = state.steps.find((s) => s.id === 'swap-mx')
    expect(swap?.changes?.[0].after?.records).toEqual([{priority: 0, exchange: TENANT_MX}])
    const txt = state.steps.find((s) => s.id === 'publish-companions')?.changes?.find((c) => c.type === 'TXT')
    expect(txt?.after?.records).toEqual(['v=spf1 mx include:spf.protection.outlook.com -all', 'MS=ms31415926'])
    // The pre-flight audits with what Graph said, without asking Graph again.
    expect(state.preflight?.target).toMatchObject({mx: [{priority: 0, exchange: TENANT_MX}], verification: 'MS=ms31415926', spfInclude: 'spf.protection.outlook.com'})
    // The only assigned host anywhere is the one the tenant gave; the token is nowhere.
    const found = new Set((everything(plan, planFile) + everything(init, config)).match(INVENTED) ?? [])
    expect([...found]).toEqual([TENANT_MX])
    expect(everything(plan, planFile)).not.toContain(graph.token)
  })

  test('Graph refusing the token stops init with one line and no file', async () => {
    const config = join(dir, 'bad-token.yaml')
    const r = await runCli(['init', '--domain', 'contoso.test', '--to', 'microsoft365', '--graph-token', 'env:GRAPH_TOKEN', '--graph-endpoint', graph.endpoint, '--out', config, ...ns()], {env: {...env(), GRAPH_TOKEN: 'stale'}})
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/Microsoft Graph refused the token in --graph-token \(HTTP 401/)
    expect(() => readFileSync(config)).toThrow()
  })
})
