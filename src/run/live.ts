import type {RecordType} from 'dns-packet'
import type {DnsClient} from '../dns/client.js'
import {canonicalName} from '../dns/names.js'
import {serverLabel} from '../dns/server.js'
import type {ExpectedRRset, RecordChange} from '../hosts/types.js'
import type {RRsetChange, RRsetJson} from '../state/schema.js'
import type {AuthServer} from '../zone/discover.js'
import {questionKey, readFromAll, type RRsetAnswer, type ServerView} from '../zone/read.js'
import {sameRRset, zoneLines, type RRset} from '../zone/rrset.js'
import {checkAnswer, zoneKeys, type SignatureCheck} from '../zone/signatures.js'

/** What one authoritative server serves for one change of a step. */
export type LiveState = 'before' | 'after' | 'other' | 'unreadable'

export interface ServerState {
  server: AuthServer
  serial: number | null
  state: LiveState
  live: RRset | null
  /** Why the answer could not be used (unreadable only). */
  problem?: string
  /** On a signed zone: whether this server serves the answer signed with a key of the zone. */
  signature?: SignatureCheck
}

export interface ChangeState {
  change: RRsetChange
  servers: ServerState[]
}

export interface LiveRead {
  changes: ChangeState[]
  /** Reachable, authoritative servers and their SOA serials. */
  serials: Array<{server: string; serial: number | null}>
  views: ServerView[]
  /** Some authoritative server serves DNSKEYs at the apex: every change must then be served signed. */
  signed: boolean
}

export function toRRset(set: RRsetJson | null): RRset | null {
  return set ? {name: canonicalName(set.name), type: set.type, ttl: set.ttl, records: set.records} : null
}

function answerProblem(view: ServerView, a: RRsetAnswer | undefined): string | null {
  if (!view.reachable) return `did not answer (${view.error ?? 'no reply'})`
  if (!view.authoritative) return view.error ?? 'not authoritative'
  if (!a) return 'was not asked'
  if (a.status === 'ok' || a.status === 'nodata' || a.status === 'nxdomain') return null
  return `answered ${a.status}${a.error ? ` (${a.error})` : ''}`
}

export function classify(live: RRset | null, change: Pick<RRsetChange, 'before' | 'after'>): LiveState {
  if (sameRRset(live, toRRset(change.after))) return 'after'
  if (sameRRset(live, toRRset(change.before))) return 'before'
  return 'other'
}

/**
 * Reads every RRset a step touches from every authoritative server with RD=0
 * and says, per server, whether it shows the state before the step, after
 * it, or something else.
 */
export async function readLive(
  client: DnsClient,
  zone: string,
  servers: readonly AuthServer[],
  changes: readonly RRsetChange[],
  options: {timeoutMs?: number; now?: () => number} = {},
): Promise<LiveRead> {
  const seen = new Set<string>()
  const questions = changes
    .map((c) => ({name: canonicalName(c.name), type: c.type as RecordType}))
    .filter((q) => {
      const k = questionKey(q.name, q.type)
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  const views = await readFromAll(client, zone, servers, questions, {timeoutMs: options.timeoutMs, dnssec: true})
  const nowSeconds = (options.now?.() ?? Date.now()) / 1000
  const signed = views.some((v) => v.reachable && v.authoritative && (v.dnskeys?.records.length ?? 0) > 0)
  const signatureOf = (view: ServerView, answer: RRsetAnswer | undefined): SignatureCheck | undefined => {
    if (!signed || !answer?.dnssec) return undefined
    const {keys} = zoneKeys(view.dnskeys, nowSeconds)
    if (keys.length === 0) return {state: 'unsigned', expiresAt: null, detail: 'the server serves no DNSKEY at the apex'}
    return checkAnswer(answer.dnssec, keys, nowSeconds)
  }
  const out: ChangeState[] = changes.map((change) => ({
    change,
    servers: views.map((view): ServerState => {
      const answer = view.answers[questionKey(change.name, change.type)]
      const problem = answerProblem(view, answer)
      if (problem !== null) return {server: view.server, serial: view.serial, state: 'unreadable', live: null, problem}
      // An alias at the name hides whatever RRset the step means to touch.
      const signature = signatureOf(view, answer)
      if (answer?.cname && change.type !== 'CNAME') {
        return {server: view.server, serial: view.serial, state: 'other', live: {name: answer.name, type: 'CNAME', ttl: 0, records: [answer.cname]}, ...(signature ? {signature} : {})}
      }
      const live = answer?.rrset ?? null
      return {server: view.server, serial: view.serial, state: classify(live, change), live, ...(signature ? {signature} : {})}
    }),
  }))
  return {changes: out, serials: views.map((v) => ({server: serverLabel(v.server), serial: v.serial})), views, signed}
}

export function serverName(s: AuthServer): string {
  const label = serverLabel(s)
  return s.host && s.host !== label && s.host !== s.address ? `${s.host} (${label})` : label
}

export function describeSet(set: RRset | RRsetJson | null, name: string, type: string): string[] {
  if (!set || set.records.length === 0) return [`(no ${type} record at ${canonicalName(name)})`]
  return zoneLines({...set, name: canonicalName(set.name)})
}

/** The change a DNS host applies for one RRset change; `expect` lets hosts refuse when live data moved. */
export function toRecordChange(c: RRsetChange): RecordChange {
  const expect: ExpectedRRset | null = c.before ? {ttl: c.before.ttl, records: c.before.records} : null
  if (c.after === null) return {action: 'delete', name: canonicalName(c.name), type: c.type, expect}
  return {action: 'replace', name: canonicalName(c.name), type: c.type, ttl: c.after.ttl, records: c.after.records, expect}
}

/** "before → after" lines for a review or a checkpoint's diff. */
export function diffLines(changes: readonly RRsetChange[]): string[] {
  const out: string[] = []
  for (const c of changes) {
    out.push(`${canonicalName(c.name)} ${c.type}:`)
    for (const l of describeSet(c.before, c.name, c.type)) out.push(`  - ${l}`)
    for (const l of describeSet(c.after, c.name, c.type)) out.push(`  + ${l}`)
  }
  return out
}
