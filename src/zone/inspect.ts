import type {DnsClient, QueryStatus} from '../dns/client.js'
import {canonicalName, isInZone} from '../dns/names.js'
import {serverLabel, type DnsServer, type ServerSpec} from '../dns/server.js'
import {askFirst, discoverZone} from './discover.js'
import {
  findDisagreements,
  inZoneTargetQuestions,
  mailQuestions,
  mxTargets,
  questionKey,
  readFromAll,
  type Disagreement,
  type Question,
  type RRsetAnswer,
  type ServerView,
} from './read.js'
import {readZoneDnssec, type ZoneDnssec} from './dnssec.js'
import {isNullMx, mxRecords, txtTexts} from './rrset.js'

export interface InspectReport {
  domain: string
  zone: string
  nameservers: Array<{
    name: string
    address: string
    port: number
    serial: number | null
    reachable: boolean
    authoritative: boolean
    tcpOnly: boolean
    error?: string
  }>
  consistent: boolean
  disagreements: Disagreement[]
  soa: {mname: string; rname: string; serial: number; minimum: number; ttl: number; negativeTtl: number} | null
  mx: {ttl: number | null; records: Array<{priority: number; exchange: string}>; nullMx: boolean; status: QueryStatus | 'unknown'}
  mxTargets: Array<{
    exchange: string
    from: 'authoritative' | 'resolver' | 'not-looked-up'
    status: QueryStatus | 'not-looked-up'
    cname: string | null
    addresses: string[]
    /** The resolver that gave the answer (or the failure), as users type it. */
    server?: string
  }>
  spf: string | null
  spfRecords: string[]
  txt: string[]
  dmarc: string | null
  mtaSts: {txt: string | null; hostAddresses: string[]}
  dkim: Array<{selector: string; type: 'CNAME' | 'TXT'; value: string}>
  autodiscover: string | null
  /** Whether the zone is signed (DNSKEY, DS at the parent, RRSIGs per server) and whether resolvers validate it (AD). */
  dnssec?: ZoneDnssec
}

export interface InspectOptions {
  client: DnsClient
  resolvers: ServerSpec[]
  nameservers: DnsServer[]
  timeoutMs: number
  /** More names to read from every server (DKIM selectors of a target, …). */
  extraQuestions?: Question[]
  /** Milliseconds since the epoch, for signature validity (the sandbox's clock). */
  now?: () => number
}

/** What each TXT record says (its strings joined); the data of other types as text. */
function recordTexts(a: RRsetAnswer | undefined): string[] {
  if (a?.rrset?.type === 'TXT') return txtTexts(a.rrset)
  return (a?.rrset?.records ?? []).map((r) => String(r))
}

/** The view to report values from: the first reachable authoritative server. */
function reference(views: ServerView[]): ServerView | undefined {
  return views.find((v) => v.reachable && v.authoritative)
}

export async function inspectDomain(domain: string, options: InspectOptions): Promise<{report: InspectReport; views: ServerView[]}> {
  const name = canonicalName(domain)
  const info = await discoverZone(name, options)
  const questions = mailQuestions(name, options.extraQuestions)
  let views = await readFromAll(options.client, info.zone, info.nameservers, questions, {timeoutMs: options.timeoutMs, dnssec: true})
  const targets = mxTargets(views, name)
  const targetQuestions = inZoneTargetQuestions(targets, info.zone)
  if (targetQuestions.length > 0) {
    const more = await readFromAll(options.client, info.zone, info.nameservers, targetQuestions, {timeoutMs: options.timeoutMs})
    views = views.map((v, i) => ({...v, answers: {...v.answers, ...more[i].answers}}))
  }
  const ref = reference(views)
  const get = (n: string, t: string) => ref?.answers[questionKey(n, t)]
  const mxKey = questionKey(name, 'MX')
  const mxTtls = views.flatMap((v) => (v.authoritative && v.answers[mxKey]?.rrset ? [v.answers[mxKey].rrset!.ttl] : []))
  const mxAnswer = get(name, 'MX')

  const mxTargetReports = await Promise.all(
    targets.map(async (exchange): Promise<InspectReport['mxTargets'][number]> => {
      if (isInZone(exchange, info.zone) && ref) {
        const a = ref.answers[questionKey(exchange, 'A')]
        const aaaa = ref.answers[questionKey(exchange, 'AAAA')]
        const addresses = [...recordTexts(a), ...recordTexts(aaaa)]
        const cname = a?.cname ?? aaaa?.cname ?? null
        return {exchange, from: 'authoritative', status: addresses.length > 0 ? 'ok' : (a?.status ?? 'error'), cname, addresses}
      }
      if (options.resolvers.length === 0) return {exchange, from: 'not-looked-up', status: 'not-looked-up', cname: null, addresses: []}
      const a = await askFirst(options.client, options.resolvers, exchange, 'A', {timeoutMs: options.timeoutMs})
      const aaaa = await askFirst(options.client, options.resolvers, exchange, 'AAAA', {timeoutMs: options.timeoutMs})
      const cname = a.answers.find((x) => x.type === 'CNAME' && x.name === exchange)
      const addresses = [...a.answers, ...aaaa.answers].filter((x) => x.type === 'A' || x.type === 'AAAA').map((x) => x.data as string)
      return {exchange, from: 'resolver', status: addresses.length > 0 ? 'ok' : a.status, cname: cname ? (cname.data as string) : null, addresses, server: serverLabel(a.server)}
    }),
  )

  const apexTxt = recordTexts(get(name, 'TXT'))
  const spfRecords = apexTxt.filter((t) => /^v=spf1(\s|$)/i.test(t))
  const dmarc = recordTexts(get(`_dmarc.${name}`, 'TXT')).filter((t) => /^v=DMARC1/i.test(t))
  const mtaStsTxt = recordTexts(get(`_mta-sts.${name}`, 'TXT')).filter((t) => /^v=STSv1/i.test(t))
  const dkim: InspectReport['dkim'] = []
  for (const q of questions.filter((x) => x.name.includes('._domainkey.'))) {
    const a = get(q.name, q.type)
    const selector = q.name.split('._domainkey.')[0]
    if (a?.cname) dkim.push({selector, type: 'CNAME', value: a.cname})
    else if (a?.rrset && q.type === 'CNAME') dkim.push({selector, type: 'CNAME', value: String(a.rrset.records[0])})
    else if (a?.rrset) dkim.push({selector, type: 'TXT', value: recordTexts(a).join('')})
  }
  const autodiscoverAnswer = get(`autodiscover.${name}`, 'CNAME')
  const dnssec = await readZoneDnssec(options.client, info.zone, name, views, options.resolvers, {timeoutMs: options.timeoutMs, now: options.now})
  const soa = ref?.soa ?? null
  const disagreements = findDisagreements(views)
  const report: InspectReport = {
    domain: name,
    zone: info.zone,
    nameservers: views.map((v) => ({
      name: v.server.host,
      address: v.server.address,
      port: v.server.port,
      serial: v.serial,
      reachable: v.reachable,
      authoritative: v.authoritative,
      tcpOnly: v.tcpOnly,
      ...(v.error ? {error: v.error} : {}),
    })),
    consistent: disagreements.length === 0 && views.every((v) => v.reachable && v.authoritative),
    disagreements,
    soa: soa
      ? {mname: soa.mname, rname: soa.rname, serial: soa.serial, minimum: soa.minimum, ttl: soa.ttl, negativeTtl: Math.min(soa.minimum, soa.ttl)}
      : null,
    mx: {
      ttl: mxTtls.length > 0 ? Math.max(...mxTtls) : null,
      records: mxRecords(mxAnswer?.rrset ?? null).map((m) => ({priority: m.priority, exchange: m.exchange})),
      nullMx: isNullMx(mxAnswer?.rrset ?? null),
      status: mxAnswer?.status ?? 'unknown',
    },
    mxTargets: mxTargetReports,
    spf: spfRecords.length === 1 ? spfRecords[0] : null,
    spfRecords,
    txt: apexTxt,
    dmarc: dmarc.length === 1 ? dmarc[0] : null,
    mtaSts: {txt: mtaStsTxt[0] ?? null, hostAddresses: recordTexts(get(`mta-sts.${name}`, 'A'))},
    dkim,
    autodiscover: autodiscoverAnswer?.rrset ? String(autodiscoverAnswer.rrset.records[0]) : null,
    dnssec,
  }
  return {report, views}
}

export function serverName(v: {name: string; address: string; port: number}): string {
  const label = serverLabel({kind: 'dns', address: v.address, port: v.port, name: v.name})
  return v.name === label || v.name === v.address ? label : `${v.name} (${label})`
}
