import type {RecordType} from 'dns-packet'
import type {DnsClient, QueryStatus} from '../dns/client.js'
import {forgetTcpOnly, knownTcpOnly, rememberTcpOnly} from '../dns/fallback.js'
import {canonicalName, isInZone} from '../dns/names.js'
import type {SoaData} from '../dns/records.js'
import {serverLabel} from '../dns/server.js'
import type {AuthServer} from './discover.js'
import {signedAnswer, type SignedAnswer, type SignedRRset} from './signatures.js'
import {mxRecords, rdataKeys, rrsetFrom, sameRRset, type RRset} from './rrset.js'

export interface Question {
  name: string
  type: RecordType
}

/** What one authoritative server said about one name and type. */
export interface RRsetAnswer {
  name: string
  type: string
  status: QueryStatus
  aa: boolean
  rrset: RRset | null
  /** When the name is an alias: its CNAME target. */
  cname?: string
  error?: string
  /** Asked with DNSSEC: the records as served with the RRSIGs that cover them, or the signed denial. */
  dnssec?: SignedAnswer
}

export interface ServerView {
  server: AuthServer
  reachable: boolean
  /** Answered with AA for the zone's SOA. */
  authoritative: boolean
  /** UDP went unanswered but TCP worked (a firewall dropping UDP/53, or a broken server). */
  tcpOnly: boolean
  serial: number | null
  soa: (SoaData & {ttl: number}) | null
  answers: Record<string, RRsetAnswer>
  error?: string
  /** Asked with DNSSEC: the DNSKEY RRset at the apex (empty when the zone is not signed) and its RRSIGs. */
  dnskeys?: SignedRRset
}

export interface Disagreement {
  subject: string
  values: Array<{server: string; value: string}>
}

export function questionKey(name: string, type: string): string {
  return `${canonicalName(name)} ${type}`
}

/** The names and types that make up a domain's mail setup. */
export function mailQuestions(domain: string, extra: Question[] = []): Question[] {
  const d = canonicalName(domain)
  const base: Question[] = [
    {name: d, type: 'MX'},
    {name: d, type: 'TXT'},
    {name: `_dmarc.${d}`, type: 'TXT'},
    {name: `_mta-sts.${d}`, type: 'TXT'},
    {name: `mta-sts.${d}`, type: 'A'},
    {name: `autodiscover.${d}`, type: 'CNAME'},
    {name: `selector1._domainkey.${d}`, type: 'CNAME'},
    {name: `selector2._domainkey.${d}`, type: 'CNAME'},
    {name: `google._domainkey.${d}`, type: 'TXT'},
  ]
  const seen = new Set<string>()
  return [...base, ...extra].filter((q) => {
    const k = questionKey(q.name, q.type)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

async function askServer(
  client: DnsClient,
  server: AuthServer,
  q: Question,
  options: {timeoutMs?: number; tcp?: 'only'; dnssec?: boolean},
): Promise<RRsetAnswer> {
  const r = await client.query(server, q.name, q.type, {recursion: false, timeoutMs: options.timeoutMs, tcp: options.tcp, dnssec: options.dnssec})
  const name = canonicalName(q.name)
  const cname = q.type !== 'CNAME' ? r.answers.find((a) => a.type === 'CNAME' && a.name === name) : undefined
  return {
    name,
    type: q.type,
    status: r.status,
    aa: r.aa,
    rrset: rrsetFrom(r.answers, name, q.type),
    ...(cname ? {cname: cname.data as string} : {}),
    ...(r.error ? {error: r.error} : {}),
    ...(r.raw ? {dnssec: signedAnswer(r.raw, name, cname ? 'CNAME' : q.type)} : {}),
  }
}

/**
 * Asks every authoritative server every question with RD=0, so what comes
 * back is each server's own data with its configured TTLs, never a cache.
 */
export async function readFromAll(
  client: DnsClient,
  zone: string,
  servers: readonly AuthServer[],
  questions: readonly Question[],
  options: {timeoutMs?: number; dnssec?: boolean} = {},
): Promise<ServerView[]> {
  return Promise.all(
    servers.map(async (server): Promise<ServerView> => {
      // A server this client already found answering only over TCP is asked there at once.
      const silent = (a: RRsetAnswer) => a.status === 'timeout' || a.status === 'error'
      let tcpOnly = knownTcpOnly(client, server)
      let soaAnswer = await askServer(client, server, {name: zone, type: 'SOA'}, tcpOnly ? {...options, tcp: 'only'} : options)
      if (tcpOnly && silent(soaAnswer)) {
        forgetTcpOnly(client, server)
        tcpOnly = false
        soaAnswer = await askServer(client, server, {name: zone, type: 'SOA'}, options)
      }
      if (!tcpOnly && silent(soaAnswer)) {
        const overTcp = await askServer(client, server, {name: zone, type: 'SOA'}, {...options, tcp: 'only'})
        if (overTcp.status !== 'timeout' && overTcp.status !== 'error') {
          soaAnswer = overTcp
          tcpOnly = true
          rememberTcpOnly(client, server)
        }
      }
      const reachable = soaAnswer.status !== 'timeout' && soaAnswer.status !== 'error'
      const soaSet = soaAnswer.rrset
      const soa = soaSet ? {...(soaSet.records[0] as SoaData), ttl: soaSet.ttl} : null
      const view: ServerView = {
        server,
        reachable,
        authoritative: reachable && soaAnswer.aa && soa !== null,
        tcpOnly,
        serial: soa?.serial ?? null,
        soa,
        answers: {},
        ...(reachable ? {} : {error: soaAnswer.error ?? soaAnswer.status}),
      }
      if (!reachable) return view
      if (!view.authoritative) view.error = `not authoritative for ${zone} (answered ${soaAnswer.status}, AA ${soaAnswer.aa ? 'set' : 'clear'})`
      const ask = tcpOnly ? {...options, tcp: 'only' as const} : options
      const [answers, keys] = await Promise.all([
        Promise.all(questions.map((q) => askServer(client, server, q, ask))),
        options.dnssec ? askServer(client, server, {name: zone, type: 'DNSKEY'}, ask) : Promise.resolve(null),
      ])
      for (const a of answers) view.answers[questionKey(a.name, a.type)] = a
      if (keys?.dnssec) view.dnskeys = keys.dnssec.rrset
      return view
    }),
  )
}

function describe(a: RRsetAnswer | undefined): string {
  if (!a) return '(not asked)'
  if (a.rrset) return `TTL ${a.rrset.ttl}: ${rdataKeys(a.rrset).join(', ')}`
  if (a.cname) return `CNAME ${a.cname}`
  return a.status
}

/** Where the reachable authoritative servers disagree: SOA serial and every RRset asked. */
export function findDisagreements(views: readonly ServerView[]): Disagreement[] {
  const live = views.filter((v) => v.reachable && v.authoritative)
  const out: Disagreement[] = []
  if (live.length < 2) return out
  if (new Set(live.map((v) => v.serial)).size > 1) {
    out.push({subject: 'SOA serial', values: live.map((v) => ({server: serverLabel(v.server), value: String(v.serial)}))})
  }
  const keys = new Set(live.flatMap((v) => Object.keys(v.answers)))
  for (const key of keys) {
    const first = live[0].answers[key]
    const differs = live.some((v) => {
      const a = v.answers[key]
      return !a || !sameRRset(a.rrset, first?.rrset ?? null) || a.cname !== first?.cname
    })
    if (differs) out.push({subject: key, values: live.map((v) => ({server: serverLabel(v.server), value: describe(v.answers[key])}))})
  }
  return out
}

/** MX exchanges named by any authoritative server. */
export function mxTargets(views: readonly ServerView[], domain: string): string[] {
  const key = questionKey(domain, 'MX')
  const all = views.flatMap((v) => mxRecords(v.answers[key]?.rrset ?? null).map((m) => m.exchange))
  return [...new Set(all)].filter((x) => x !== '.').sort()
}

/** Targets inside the zone are read from the authoritative servers too. */
export function inZoneTargetQuestions(targets: readonly string[], zone: string): Question[] {
  return targets.filter((t) => isInZone(t, zone)).flatMap((t) => [
    {name: t, type: 'A' as RecordType},
    {name: t, type: 'AAAA' as RecordType},
  ])
}
