import type {RecordType} from 'dns-packet'
import {canonicalName} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import {describeChain, describeStatus, followCname, isDefinite, type LookupFn} from './lookup.js'
import {effectiveRedirect, evaluatedMechanisms, hasMacro, isSpfRecord, localLookupCount, parseSpf, type Mechanism, type SpfRecord} from './spf-record.js'

/**
 * Walks an SPF record as a receiver evaluates it for a sender that matches no
 * term (the case where the limits of RFC 7208 §4.6.4 bite: a forger, or a
 * provider not yet authorised), over IPv4: every include and redirect
 * followed through DNS (CNAMEs too), every a/mx/exists looked up so void
 * lookups can be counted. Macros depend on the sender: counted, not followed.
 */

export const SPF_LOOKUP_LIMIT = 10
/** More void lookups than this is a permerror (§4.6.4). */
export const SPF_VOID_LIMIT = 2
/** More MX names than this behind one mx term is a permerror (§4.6.4). */
export const SPF_MX_LIMIT = 10

export interface SpfProblem {
  /** broken: a receiver would return permerror; incomplete: we could not tell. */
  kind: 'broken' | 'incomplete'
  domain: string
  message: string
}

/** One DNS question the evaluation asks, by the term that asks it. */
export interface SpfQuery {
  /** The domain whose record holds the term. */
  domain: string
  term: string
  /** The name asked (for an mx term: the MX name, or one exchange). */
  name: string
  /** How it ended, in words, when it failed or found nothing. */
  detail: string
}

export interface SpfCount {
  /** DNS-querying terms, counted through every include and redirect (§4.6.4). */
  lookups: number
  /** Every domain reached through include/redirect (and the CNAME targets behind them), lower-case. */
  reached: Set<string>
  problems: SpfProblem[]
  /** Lookups that found nothing (NXDOMAIN or an empty answer). */
  voids: SpfQuery[]
  /** Lookups that failed (timeout, SERVFAIL…): each may be one more void. */
  unknown: SpfQuery[]
  /** mx terms whose MX RRset names more than SPF_MX_LIMIT hosts. */
  mxOver: Array<SpfQuery & {names: number}>
}

/** Where the following stops: past the limit the exact number no longer matters. */
const DEPTH_LIMIT = 12

type Fetched = {record: SpfRecord; chain: string[]} | {problem: SpfProblem; void?: SpfQuery}

/** The SPF record published at a domain (through its CNAME chain), as a receiver fetches it for include/redirect. */
async function fetchSpf(lookup: LookupFn, domain: string, owner: string, term: string): Promise<Fetched> {
  const r = await followCname(lookup, domain, 'TXT')
  const named = describeChain(r)
  if (r.broken) return {problem: {kind: 'broken', domain, message: `${domain} ${describeStatus(r)}, so receivers cannot read its SPF record`}}
  if (!isDefinite(r.status)) return {problem: {kind: 'incomplete', domain, message: `the SPF record of ${named} ${describeStatus(r)}`}}
  const spf = r.records.map(answerText).filter(isSpfRecord)
  if (spf.length === 0) {
    const why = r.status === 'nxdomain' ? 'the name does not exist' : r.records.length === 0 ? 'no TXT record' : 'no v=spf1 TXT'
    const problem: SpfProblem = {kind: 'broken', domain, message: `${named} publishes no SPF record (${why}), which makes any record including or redirecting to it fail with permerror`}
    return r.records.length === 0 ? {problem, void: {domain: owner, term, name: domain, detail: why}} : {problem}
  }
  if (spf.length > 1) return {problem: {kind: 'broken', domain, message: `${named} publishes ${spf.length} SPF records, which is a permerror for every record including it`}}
  const parsed = parseSpf(spf[0])
  if (!parsed.ok) return {problem: {kind: 'broken', domain, message: `the SPF record of ${named} does not parse (${parsed.error}), which is a permerror for every record including it`}}
  return {record: parsed.record, chain: r.chain}
}

/** One address or MX question of a term: void when it finds nothing, unknown when it fails. */
async function ask(lookup: LookupFn, out: SpfCount, q: Omit<SpfQuery, 'detail'>, type: RecordType): Promise<string[]> {
  const r = await followCname(lookup, q.name, type)
  if (r.records.length > 0) return r.records.map((x) => (type === 'MX' ? (x.data as {exchange: string}).exchange : String(x.data)))
  if (isDefinite(r.status) || r.broken) out.voids.push({...q, detail: describeStatus(r)})
  else out.unknown.push({...q, detail: describeStatus(r)})
  return []
}

/** The lookups an a, mx or exists term makes (ptr needs the sender's address: not looked up). */
async function askTerm(lookup: LookupFn, out: SpfCount, owner: string, m: Mechanism): Promise<void> {
  const name = canonicalName(m.domain ?? owner)
  if (hasMacro(name)) return
  const q = {domain: owner, term: m.text, name}
  if (m.name === 'a' || m.name === 'exists') {
    await ask(lookup, out, q, 'A')
    return
  }
  if (m.name !== 'mx') return
  // A null MX (RFC 7505) names no host: nothing to look up.
  const exchanges = (await ask(lookup, out, q, 'MX')).filter((x) => x !== '.' && x !== '')
  if (exchanges.length > SPF_MX_LIMIT) out.mxOver.push({...q, names: exchanges.length, detail: `${exchanges.length} MX records`})
  await Promise.all(exchanges.slice(0, SPF_MX_LIMIT).map((x) => ask(lookup, out, {...q, name: x}, 'A')))
}

/** Counts the record's DNS-querying terms and void lookups, following include and redirect through DNS. */
export async function countLookups(lookup: LookupFn, record: SpfRecord, owner = '', path: string[] = []): Promise<SpfCount> {
  const out: SpfCount = {lookups: localLookupCount(record), reached: new Set(), problems: [], voids: [], unknown: [], mxOver: []}
  const evaluated = evaluatedMechanisms(record)
  const targets = evaluated.filter((m) => m.name === 'include').map((m) => ({raw: m.domain as string, term: m.text}))
  const redirect = effectiveRedirect(record)
  if (redirect) targets.push({raw: redirect, term: `redirect=${redirect}`})
  if (owner !== '') await Promise.all(evaluated.map((m) => askTerm(lookup, out, owner, m)))
  for (const {raw, term} of targets) {
    const domain = canonicalName(raw)
    out.reached.add(domain)
    if (hasMacro(raw)) continue
    if (path.includes(domain)) {
      out.problems.push({kind: 'broken', domain, message: `SPF include loop: ${[...path, domain].join(' → ')}`})
      continue
    }
    if (path.length >= DEPTH_LIMIT || out.lookups > SPF_LOOKUP_LIMIT * 2) continue
    const fetched = await fetchSpf(lookup, domain, owner, term)
    if ('problem' in fetched) {
      out.problems.push(fetched.problem)
      if (fetched.void) out.voids.push(fetched.void)
      continue
    }
    for (const d of fetched.chain) out.reached.add(d)
    merge(out, await countLookups(lookup, fetched.record, domain, [...path, domain]))
  }
  return out
}

function merge(out: SpfCount, inner: SpfCount): void {
  out.lookups += inner.lookups
  for (const d of inner.reached) out.reached.add(d)
  out.problems.push(...inner.problems)
  out.voids.push(...inner.voids)
  out.unknown.push(...inner.unknown)
  out.mxOver.push(...inner.mxOver)
}
