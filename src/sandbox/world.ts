import {canonicalName, isInZone} from '../dns/names.js'
import {txtText, type MxData, type TxtData} from '../dns/records.js'
import type {RRset} from '../zone/rrset.js'
import {createZone, type Zone} from './zone.js'

/**
 * The rest of the Internet as far as a rehearsal needs it: the MX hosts of
 * both providers, the SPF includes, the CNAME targets (autodiscover, DKIM).
 * These are stand-ins (documentation addresses, RFC 5737; a one-term SPF
 * policy), served from the sandbox's root zone so nothing is asked outside:
 * they let the audit and the verifier resolve what they must, and the report
 * says they are stand-ins.
 */

export interface WorldNeeds {
  /** Host names that must have an address (MX exchanges, CNAME targets). */
  hosts: string[]
  /** Domains named by SPF include: or redirect= that must publish an SPF policy. */
  spf: string[]
  /** DKIM CNAME targets that must publish a key. */
  dkim: string[]
}

export const STAND_IN_SPF = 'v=spf1 ip4:192.0.2.0/24 -all'
export const STAND_IN_DKIM = 'v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1sandboxstandin'

/** Names an SPF record sends the evaluator to (include:, redirect=; macros and mechanisms with a domain of their own skipped). */
export function spfTargets(record: string): string[] {
  if (!/^v=spf1(\s|$)/i.test(record.trim())) return []
  const out: string[] = []
  for (const term of record.trim().split(/\s+/).slice(1)) {
    const m = /^[+?~-]?include:(.+)$/i.exec(term) ?? /^redirect=(.+)$/i.exec(term)
    if (m && !m[1].includes('%')) out.push(canonicalName(m[1]))
  }
  return out
}

/** What the zone's records and the records about to be published point at outside the zone. */
export function worldNeeds(zone: string, rrsets: readonly RRset[], extra: Partial<WorldNeeds> = {}): WorldNeeds {
  const hosts = new Set(extra.hosts?.map(canonicalName) ?? [])
  const spf = new Set(extra.spf?.map(canonicalName) ?? [])
  const dkim = new Set(extra.dkim?.map(canonicalName) ?? [])
  for (const set of rrsets) {
    for (const data of set.records) {
      if (set.type === 'MX') {
        const x = (data as MxData).exchange
        if (x !== '.') hosts.add(canonicalName(x))
      } else if (set.type === 'TXT') {
        for (const t of spfTargets(txtText(data as TxtData))) spf.add(t)
      } else if (set.type === 'CNAME') {
        const target = canonicalName(String(data))
        if (set.name.includes('._domainkey.')) dkim.add(target)
        else hosts.add(target)
      }
    }
  }
  const outside = (n: string) => !isInZone(n, zone)
  return {hosts: [...hosts].filter(outside).sort(), spf: [...spf].filter(outside).sort(), dkim: [...dkim].filter(outside).sort()}
}

/** The root zone '.' holding a stand-in for each name the rehearsal needs. */
export function worldZone(needs: WorldNeeds): Zone {
  const rrsets: RRset[] = []
  needs.hosts.forEach((host, i) => {
    rrsets.push({name: host, type: 'A', ttl: 3600, records: [`192.0.2.${(i % 250) + 1}`]})
  })
  for (const name of needs.spf) rrsets.push({name, type: 'TXT', ttl: 3600, records: [STAND_IN_SPF]})
  for (const name of needs.dkim) rrsets.push({name, type: 'TXT', ttl: 3600, records: [STAND_IN_DKIM]})
  const soa = {mname: 'sandbox-root', rname: 'hostmaster.sandbox-root', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 300}
  return createZone('.', {ttl: 3600, data: soa}, rrsets)
}
