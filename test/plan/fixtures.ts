import type {Finding} from '../../src/audit/types.js'
import {parseConfig, type Config} from '../../src/plan/config.js'
import type {ObservedDomain} from '../../src/plan/planner.js'
import {questionKey} from '../../src/zone/read.js'
import type {RRset} from '../../src/zone/rrset.js'

/** A fixed clock: planning is a pure function of it. */
export const NOW = new Date('2025-03-03T09:00:00Z')

/** DKIM targets as copied from the Defender portal: Microsoft assigns them, mxcut never derives them. */
export const DKIM = [
  {selector: 'selector1', type: 'CNAME', value: 'selector1-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft'},
  {selector: 'selector2', type: 'CNAME', value: 'selector2-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft'},
]

export function config(overrides: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      version: 1,
      domain: 'contoso.test',
      target: {profile: 'microsoft365', mx: ['0 contoso-test.mail.protection.outlook.com'], verification: 'MS=ms11112222', dkim: DKIM},
      ...overrides,
    },
    'test.yaml',
  )
}

export interface Zone {
  mxTtl?: number | null
  mx?: Array<[number, string]>
  txt?: string[]
  txtTtl?: number
  soa?: {minimum: number; ttl: number}
  serials?: Array<number | null>
  reachable?: boolean[]
  extra?: RRset[]
  findings?: Finding[]
  audited?: boolean
  disagreements?: ObservedDomain['disagreements']
  spfCount?: ObservedDomain['spfCount']
}

/** What the authoritative servers of contoso.test would serve, built from a few facts. */
export function observed(z: Zone = {}): ObservedDomain {
  const domain = 'contoso.test'
  const mxTtl = z.mxTtl === undefined ? 3600 : z.mxTtl
  const mx = (z.mx ?? [[10, 'mail.contoso.test']]).map(([priority, exchange]) => ({priority, exchange}))
  const rrsets: Record<string, RRset | null> = {}
  rrsets[questionKey(domain, 'MX')] = mxTtl === null || mx.length === 0 ? null : {name: domain, type: 'MX', ttl: mxTtl, records: mx}
  const txt = z.txt ?? ['v=spf1 mx -all']
  rrsets[questionKey(domain, 'TXT')] = txt.length ? {name: domain, type: 'TXT', ttl: z.txtTtl ?? 3600, records: txt} : null
  for (const s of z.extra ?? []) rrsets[questionKey(s.name, s.type)] = s
  const soa = z.soa ?? {minimum: 300, ttl: 3600}
  const serials = z.serials ?? [7, 7]
  return {
    domain,
    zone: domain,
    at: NOW.toISOString(),
    nameservers: serials.map((serial, i) => ({
      name: `ns${i + 1}.contoso.test`,
      address: `192.0.2.${i + 1}`,
      port: 53,
      serial,
      reachable: z.reachable?.[i] ?? true,
      authoritative: z.reachable?.[i] ?? true,
    })),
    soa: {mname: 'ns1.contoso.test', rname: 'hostmaster.contoso.test', serial: serials[0] ?? 7, refresh: 3600, retry: 600, expire: 86400, minimum: soa.minimum, ttl: soa.ttl},
    mx: {ttl: mxTtl === null || mx.length === 0 ? null : mxTtl, records: mxTtl === null ? [] : mx},
    rrsets,
    disagreements: z.disagreements ?? [],
    findings: z.findings ?? [],
    audited: z.audited ?? true,
    spfCount: z.spfCount,
  }
}
