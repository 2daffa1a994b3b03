import {fileURLToPath} from 'node:url'
import {canonicalName} from '../dns/names.js'
import type {SoaData} from '../dns/records.js'
import {getProfile} from '../profiles/index.js'
import {resolveRecords, sourceSpfInclude} from '../profiles/resolve.js'
import type {Config} from '../plan/config.js'
import type {RRset} from '../zone/rrset.js'

/** The bundled example the demo rehearses (plans/examples/, shipped with the package). */
export const DEMO_CONFIG = fileURLToPath(new URL('../../plans/examples/tailspin-toys.yaml', import.meta.url))

export interface StartingState {
  zone: string
  soa: SoaData & {ttl: number}
  rrsets: RRset[]
}

/**
 * What the example company's DNS serves before the cutover: the source
 * provider's MX at a one-hour TTL, its SPF include, a DMARC policy, its DKIM
 * key and domain verification, and a web site. A fictional domain has no
 * live DNS to read, so this is the demo's "today"; `rehearse` of a real
 * domain reads it live instead.
 */
export function demoStartingState(config: Config, domain: string): StartingState {
  const d = canonicalName(domain)
  const sourceId = config.source.profile === 'auto' ? 'google-workspace' : config.source.profile
  const source = getProfile(sourceId)
  const mx = resolveRecords(source, d).mx
  const spfInclude = sourceSpfInclude(source, d)
  const prefix = source.verification?.prefix
  const rrsets: RRset[] = [
    {name: d, type: 'MX', ttl: 3600, records: mx.length > 0 ? mx : [{priority: 10, exchange: `mail.${d}`}]},
    {
      name: d,
      type: 'TXT',
      ttl: 3600,
      records: [`v=spf1 ${spfInclude ? `include:${spfInclude} ` : ''}~all`, ...(prefix ? [`${prefix}demo-7f3a91c2`] : [])],
    },
    {name: `_dmarc.${d}`, type: 'TXT', ttl: 3600, records: [`v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@${d}`]},
    {name: d, type: 'A', ttl: 3600, records: ['192.0.2.80']},
    {name: `www.${d}`, type: 'CNAME', ttl: 3600, records: [d]},
  ]
  for (const dkim of source.dkim?.records ?? []) {
    if (dkim.type === 'TXT' && dkim.selector) rrsets.push({name: `${dkim.selector}._domainkey.${d}`, type: 'TXT', ttl: 3600, records: ['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAdemo']})
  }
  if (mx.length === 0) rrsets.push({name: `mail.${d}`, type: 'A', ttl: 3600, records: ['192.0.2.25']})
  return {
    zone: d,
    soa: {mname: `ns1.${d}`, rname: `hostmaster.${d}`, serial: 2024061101, refresh: 3600, retry: 600, expire: 1209600, minimum: 300, ttl: 3600},
    rrsets,
  }
}
