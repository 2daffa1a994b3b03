import {describe, expect, test} from 'vitest'
import {parseConfig} from '../../src/plan/config.js'
import {planCutover} from '../../src/plan/planner.js'
import {allProfiles, detectProfile, getProfile, reverseDnsProvider} from '../../src/profiles/index.js'
import {config, NOW, observed} from './fixtures.js'

/** Filtering gateways as profiles: detected as the source, planned as the target in front of a mailbox provider. */
describe('filtering gateways', () => {
  test('the six vendors are profiles of kind gateway, each citing its documentation and saying where its IP ranges are listed', () => {
    const gateways = allProfiles().filter((p) => p.kind === 'gateway')
    expect(gateways.map((p) => p.id).sort()).toEqual(['barracuda', 'cisco-secure-email', 'mimecast', 'proofpoint', 'proofpoint-essentials', 'sophos-email', 'trend-micro-email-security'])
    for (const g of gateways) {
      expect(g.docs.length).toBeGreaterThan(0)
      expect(g.gateway?.ipRangesWhere.length).toBeGreaterThan(0)
      // Their MX hosts are per account or region: always from the config, never a documented default.
      expect(g.mx.records).toEqual([])
      expect(g.reverseDns).toBe('provider')
    }
    expect(getProfile('mimecast').spf.include).toBe('_netblocks.mimecast.com')
    expect(getProfile('sophos').spf.include).toBe('_spf.prod.hydra.sophos.com')
  })

  test("each is recognised as today's provider from its MX hosts", () => {
    expect(detectProfile(['eu-smtp-inbound-1.mimecast.com', 'eu-smtp-inbound-2.mimecast.com'])?.id).toBe('mimecast')
    expect(detectProfile(['mx1-us1.ppe-hosted.com', 'mx2-us1.ppe-hosted.com'])?.id).toBe('proofpoint-essentials')
    expect(detectProfile(['mx0a-00123401.pphosted.com', 'mx0b-00123401.pphosted.com'])?.id).toBe('proofpoint')
    expect(detectProfile(['d123456a.ess.barracudanetworks.com'])?.id).toBe('barracuda')
    expect(detectProfile(['mx1.acme.iphmx.com'])?.id).toBe('cisco-secure-email')
    expect(detectProfile(['mx-01-eu-west-1.prod.hydra.sophos.com'])?.id).toBe('sophos-email')
    expect(reverseDnsProvider('mx1.acme.iphmx.com')?.id).toBe('cisco-secure-email')
  })

  test('as the target in front of Microsoft 365: the MX points at the gateway, and a checkpoint before the swap names the inbound connector and the ranges to accept', () => {
    const cfg = config({target: {profile: 'mimecast', mx: ['10 eu-smtp-inbound-1.mimecast.com', '20 eu-smtp-inbound-2.mimecast.com'], behind: 'microsoft365', gatewayIpRanges: ['192.0.2.0/24', '198.51.100.0/24']}})
    const plan = planCutover(observed({txt: ['v=spf1 include:spf.protection.outlook.com -all']}), cfg, NOW)
    expect(plan.blockers).toEqual([])
    const ids = plan.steps.map((s) => s.id)
    expect(ids.indexOf('confirm-inbound-connector')).toBe(ids.indexOf('confirm-swap') - 1)
    const step = plan.steps.find((s) => s.id === 'confirm-inbound-connector')
    expect(step?.title).toBe('Declare Mimecast Email Security at Microsoft 365 (Exchange Online): its 2 IP ranges')
    expect(step?.why).toMatch(/Exchange admin center › Mail flow › Connectors .*Partner organization to Office 365.*: accept mail from 192\.0\.2\.0\/24, 198\.51\.100\.0\/24\./)
    expect(plan.steps.find((s) => s.id === 'swap-mx')?.changes?.[0].after?.records).toEqual([
      {priority: 10, exchange: 'eu-smtp-inbound-1.mimecast.com'},
      {priority: 20, exchange: 'eu-smtp-inbound-2.mimecast.com'},
    ])
    // The gateway's SPF include is merged beside the mailbox provider's.
    expect(JSON.stringify(plan.steps.find((s) => s.id === 'publish-companions')?.changes)).toContain('include:spf.protection.outlook.com include:_netblocks.mimecast.com')
    expect(plan.steps.find((s) => s.id === 'probe-before-swap')?.probe?.hosts.map((h) => h.exchange)).toEqual(['eu-smtp-inbound-1.mimecast.com', 'eu-smtp-inbound-2.mimecast.com'])
  })

  test('without the ranges in the config, the checkpoint says where the vendor lists them; Google Workspace behind it names its inbound gateway setting', () => {
    const cfg = config({target: {profile: 'sophos-email', mx: ['10 mx-01-eu-west-1.prod.hydra.sophos.com'], behind: 'google-workspace'}})
    const step = planCutover(observed(), cfg, NOW).steps.find((s) => s.id === 'confirm-inbound-connector')
    expect(step?.why).toMatch(/Gmail › Spam, phishing and malware › Inbound gateway.*https:\/\/support\.google\.com\/a\/answer\/60730.*accept mail from the ranges in the IP addresses Sophos Central lists/)
  })

  test('the config refuses gateway fields for other targets and a gateway behind a gateway, and a gateway needs its MX from the config', () => {
    const bad = (target: Record<string, unknown>) => () => parseConfig({version: 1, domain: 'contoso.test', target}, 'x.yaml')
    expect(bad({profile: 'microsoft365', behind: 'google-workspace'})).toThrow(/target\.behind.*microsoft365 is not one/)
    expect(bad({profile: 'mimecast', mx: ['10 eu-smtp-inbound-1.mimecast.com'], behind: 'barracuda'})).toThrow(/target\.behind.*mailbox provider behind the gateway/)
    expect(bad({profile: 'mimecast', behind: 'microsoft365'})).toThrow(/target\.mx.*required with target\.profile mimecast/)
    expect(bad({profile: 'mimecast', mx: ['10 a.mimecast.com'], gatewayIpRanges: ['192.0.2.0']})).toThrow(/gatewayIpRanges.*CIDR/)
  })
})

describe('a gateway as the source', () => {
  test('the plan notes that the provider behind it may accept mail only from the gateway, which the probe before the swap would catch', () => {
    const plan = planCutover(observed({mx: [[10, 'eu-smtp-inbound-1.mimecast.com'], [20, 'eu-smtp-inbound-2.mimecast.com']], txt: []}), config(), NOW)
    expect(plan.source).toEqual({profile: 'mimecast', detected: true})
    expect(plan.notes.join(' ')).toMatch(/Today's MX points at Mimecast Email Security, a filtering gateway: .*lift that restriction before the swap/)
    // Mimecast runs its own reverse DNS and its hosts are probed as the source after the swap.
    expect(plan.steps.find((s) => s.id === 'probe-source')?.probe?.hosts.map((h) => h.exchange)).toEqual(['eu-smtp-inbound-1.mimecast.com', 'eu-smtp-inbound-2.mimecast.com'])
  })
})
