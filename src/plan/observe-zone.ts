import {canonicalName} from '../dns/names.js'
import {assumedSoa} from '../zone/load-zone.js'
import {mailQuestions, questionKey} from '../zone/read.js'
import {mxRecords, type RRset} from '../zone/rrset.js'
import type {ZoneSnapshot} from '../zone/zone-file.js'
import type {Config} from './config.js'
import type {ObservedDomain} from './context.js'
import {planQuestions} from './observe.js'

/**
 * What the planner would read from the authoritative servers, taken from a
 * zone file instead (plan --zone, rehearse --zone): the same questions, the
 * RRsets as the file holds them, one "server" per NS of the apex. No audit
 * runs and the merged SPF record's lookups are not counted: both need DNS,
 * and the run's pre-flight does them live.
 */
export function observeFromZone(snapshot: ZoneSnapshot, domain: string, config: Config, now: Date): ObservedDomain {
  const d = canonicalName(domain)
  const zone = snapshot.origin
  const soa = snapshot.soa ?? assumedSoa(zone)
  const find = (name: string, type: string): RRset | null => snapshot.rrsets.find((s) => s.name === canonicalName(name) && s.type === type) ?? null
  const rrsets: Record<string, RRset | null> = {}
  for (const q of mailQuestions(d, planQuestions(config, d))) rrsets[questionKey(q.name, q.type)] = find(q.name, q.type)
  const mx = find(d, 'MX')
  const glue = (ns: string) => (find(ns, 'A')?.records[0] as string | undefined) ?? ''
  const ns = find(zone, 'NS')?.records.map(String) ?? []
  return {
    domain: d,
    zone,
    at: now.toISOString(),
    nameservers: ns.map((name) => ({name, address: glue(name), port: 53, serial: soa.serial, reachable: true, authoritative: true})),
    soa,
    mx: {ttl: mx?.ttl ?? null, records: mxRecords(mx)},
    rrsets,
    disagreements: [],
    findings: [],
    audited: false,
    spfCount: null,
  }
}
