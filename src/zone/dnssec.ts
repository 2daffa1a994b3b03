import type {DnsClient, QueryResult} from '../dns/client.js'
import {ALGORITHMS, dsMatches, keyTag, rrsetWithSignatures, type DnskeyData, type DsData} from '../dns/dnssec.js'
import {canonicalName} from '../dns/names.js'
import {serverLabel, type ServerSpec} from '../dns/server.js'
import type {ServerView} from './read.js'
import {checkAnswer, zoneKeys, type SignatureState} from './signatures.js'

/**
 * Whether a zone is signed, whether the parent's DS designates its keys, and
 * whether validating resolvers validate it: what `inspect` shows and the
 * audit's DNSSEC findings come from. Read from every authoritative server
 * (DNSKEY, RRSIGs) and from the resolvers (DS with CD set, the MX with DO).
 */

export interface ZoneDnssec {
  /** unsigned: no DNSKEY and no DS; secure: resolvers validate (AD); insecure: signed, nothing validates it (no DS); bogus: validating resolvers refuse it. */
  state: 'unsigned' | 'secure' | 'insecure' | 'bogus' | 'unknown'
  signed: boolean
  keys: Array<{keyTag: number; algorithm: number; algorithmName: string; flags: number; sep: boolean}>
  /** Per authoritative server: DNSKEYs served, and the state of the signatures of every RRset read from it. */
  servers: Array<{server: string; dnskeys: number; signatures: Array<{name: string; type: string; state: SignatureState; expiresAt: string | null; detail: string; negative: boolean}>}>
  ds: {status: 'present' | 'absent' | 'unknown'; records: Array<{keyTag: number; algorithm: number; digestType: number; matches: boolean}>; detail?: string}
  validation: Array<{resolver: string; status: 'secure' | 'insecure' | 'bogus' | 'failed'; ad: boolean; detail?: string}>
}

function keyList(keys: readonly DnskeyData[]): ZoneDnssec['keys'] {
  return keys.map((k) => ({keyTag: keyTag(k), algorithm: k.algorithm, algorithmName: ALGORITHMS[k.algorithm] ?? `algorithm ${k.algorithm}`, flags: k.flags, sep: (k.flags & 1) === 1}))
}

function serverSignatures(view: ServerView, nowSeconds: number): ZoneDnssec['servers'][number] {
  const {keys} = zoneKeys(view.dnskeys, nowSeconds)
  const signatures: ZoneDnssec['servers'][number]['signatures'] = []
  if (keys.length > 0) {
    for (const a of Object.values(view.answers)) {
      if (!a.dnssec || (a.status !== 'ok' && a.status !== 'nodata' && a.status !== 'nxdomain')) continue
      const c = checkAnswer(a.dnssec, keys, nowSeconds)
      signatures.push({name: a.name, type: a.type, state: c.state, expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt * 1000).toISOString(), detail: c.detail, negative: a.dnssec.rrset.records.length === 0})
    }
  }
  return {server: serverLabel(view.server), dnskeys: keys.length, signatures}
}

/** The DS RRset at the parent, through the resolvers with CD set (a bogus chain must not hide it). */
async function readDs(client: DnsClient, resolvers: readonly ServerSpec[], zone: string, keys: readonly DnskeyData[], timeoutMs: number): Promise<ZoneDnssec['ds']> {
  let last: QueryResult | null = null
  for (const resolver of resolvers) {
    const r = await client.query(resolver, zone, 'DS', {timeoutMs, dnssec: true, checkingDisabled: true})
    last = r
    if (r.status === 'nodata' || r.status === 'nxdomain') return {status: 'absent', records: []}
    if (r.status !== 'ok' || !r.raw) continue
    const ds = rrsetWithSignatures(r.raw.answers, zone, 'DS').records as DsData[]
    if (ds.length === 0) return {status: 'absent', records: []}
    return {status: 'present', records: ds.map((d) => ({keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, matches: keys.some((k) => dsMatches(zone, d, k))}))}
  }
  return {status: 'unknown', records: [], detail: last ? `${serverLabel(last.server)} answered ${last.status}${last.error ? ` (${last.error})` : ''}` : 'no resolver to ask'}
}

/** Each resolver asked for the MX with DO: AD is secure; SERVFAIL that CD answers is bogus. */
async function readValidation(client: DnsClient, resolvers: readonly ServerSpec[], domain: string, timeoutMs: number): Promise<ZoneDnssec['validation']> {
  return Promise.all(
    resolvers.map(async (resolver): Promise<ZoneDnssec['validation'][number]> => {
      const resolverName = serverLabel(resolver)
      const r = await client.query(resolver, domain, 'MX', {timeoutMs, dnssec: true})
      if (r.status === 'ok' || r.status === 'nodata' || r.status === 'nxdomain') return {resolver: resolverName, status: r.ad ? 'secure' : 'insecure', ad: r.ad === true}
      if (r.status !== 'servfail') return {resolver: resolverName, status: 'failed', ad: false, detail: `answered ${r.status}${r.error ? ` (${r.error})` : ''}`}
      const cd = await client.query(resolver, domain, 'MX', {timeoutMs, dnssec: true, checkingDisabled: true})
      if (cd.status === 'ok' || cd.status === 'nodata' || cd.status === 'nxdomain') return {resolver: resolverName, status: 'bogus', ad: false, detail: `SERVFAIL, while with checking disabled (CD) it answers ${cd.status}`}
      return {resolver: resolverName, status: 'failed', ad: false, detail: `SERVFAIL, and ${cd.status} with checking disabled: the zone itself does not answer through it`}
    }),
  )
}

export async function readZoneDnssec(
  client: DnsClient,
  zone: string,
  domain: string,
  views: readonly ServerView[],
  resolvers: readonly ServerSpec[],
  options: {timeoutMs: number; now?: () => number},
): Promise<ZoneDnssec> {
  const nowSeconds = (options.now?.() ?? Date.now()) / 1000
  const live = views.filter((v) => v.reachable && v.authoritative)
  const ref = live.find((v) => (v.dnskeys?.records.length ?? 0) > 0)
  const keys = ref ? zoneKeys(ref.dnskeys, nowSeconds).keys : []
  // Every key any server serves counts for the DS: a rollover shows old and new keys on different servers.
  const allKeys = live.flatMap((v) => zoneKeys(v.dnskeys, nowSeconds).keys)
  const [ds, validation] = await Promise.all([
    readDs(client, resolvers, canonicalName(zone), allKeys, options.timeoutMs),
    readValidation(client, resolvers, domain, options.timeoutMs),
  ])
  const signed = keys.length > 0
  let state: ZoneDnssec['state'] = 'unknown'
  if (validation.some((v) => v.status === 'bogus')) state = 'bogus'
  else if (validation.some((v) => v.status === 'secure')) state = 'secure'
  else if (!signed && ds.status === 'absent') state = 'unsigned'
  else if (signed && validation.some((v) => v.status === 'insecure')) state = 'insecure'
  else if (!signed && ds.status !== 'present' && live.length > 0) state = 'unsigned'
  return {state, signed, keys: keyList(keys), servers: live.map((v) => serverSignatures(v, nowSeconds)), ds, validation}
}
