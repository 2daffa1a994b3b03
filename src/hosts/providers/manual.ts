import type {RecordType} from 'dns-packet'
import {queryWithTcpFallback} from '../../dns/fallback.js'
import {canonicalName, relativeName} from '../../dns/names.js'
import {txtPresentation, txtStrings, type MxData, type TlsaData, type TxtData} from '../../dns/records.js'
import {serverLabel} from '../../dns/server.js'
import {formatDuration} from '../../lib/time.js'
import type {AuthServer} from '../../zone/discover.js'
import {rdataKeys, rrsetFrom, type RecordData, type RRset} from '../../zone/rrset.js'
import {matchesTarget, targetOf, toText} from '../rdata.js'
import {DnsHostError, type DnsHost, type HostDeps, type HostModule, type RecordChange} from '../types.js'

/** A change not yet served by one authoritative server, and what that server serves instead. */
type Pending = {server: AuthServer; change: RecordChange; live: RRset | null; status: string}

/** The manual host needs every dependency a host can get: it watches the authoritative servers itself. */
export type ManualDeps = HostDeps

interface ConsoleRow {
  host: string
  type: string
  priority: string
  value: string
  ttl: string
}

/**
 * What a DNS console asks for: MX priority in its own field, names as typed,
 * TXT unquoted; a TXT split into several strings other than at 255 octets is
 * shown quoted string by string, since the split is part of the record.
 */
function consoleRow(name: string, zone: string, type: string, data: RecordData, ttl: number | null): ConsoleRow {
  let priority = ''
  let value: string
  if (type === 'MX') {
    const mx = data as MxData
    priority = String(mx.priority)
    value = mx.exchange === '.' ? '.' : mx.exchange
  } else if (type === 'TXT') {
    value = Array.isArray(data) ? txtPresentation(data as TxtData) : (data as string)
  } else {
    value = toText(type, data).replace(/\.$/, '')
  }
  return {host: relativeName(name, zone), type, priority, value, ttl: ttl === null ? '' : String(ttl)}
}

function table(rows: ConsoleRow[], indent: string): string[] {
  const head: ConsoleRow = {host: 'Host/Name', type: 'Type', priority: 'Priority', value: 'Value', ttl: 'TTL'}
  const all = [head, ...rows]
  const keys = ['host', 'type', 'priority', 'value', 'ttl'] as const
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<(typeof keys)[number], number>
  return all.map((r) => indent + keys.map((k) => r[k].padEnd(width[k])).join('  ').trimEnd())
}

/** MX by priority then host, other data as given: the order a person reads and types them in. */
function ordered(type: string, records: readonly RecordData[]): RecordData[] {
  if (type !== 'MX') return [...records]
  return [...(records as MxData[])].sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))
}

const key = (type: string, d: RecordData) => toText(type, d)

/**
 * The instructions for one change, as lines. A replacement lists what to add
 * first and what to delete after it: a web console user who deletes first
 * leaves the name without records for a while (for MX: mail has nowhere to go).
 */
export function describeChange(change: RecordChange, zone: string): string[] {
  const name = canonicalName(change.name)
  const label = `${change.type} records of ${relativeName(name, zone)} (${name})`
  const lines: string[] = []
  const target = targetOf(change)
  const before = change.expect ?? null
  const rows = (records: readonly RecordData[], ttl: number | null) => table(ordered(change.type, records).map((d) => consoleRow(name, zone, change.type, d, ttl)), '    ')
  if (target === null) {
    lines.push(`Delete all ${label}:`)
    if (before && before.records.length > 0) lines.push(...rows(before.records, before.ttl))
    else lines.push('    every record of this name and type')
    lines.push(...dnscontrolLines(change, zone))
    return lines
  }
  const old = before?.records ?? []
  const kept = new Set(old.map((d) => key(change.type, d)))
  const wanted = new Set(target.records.map((d) => key(change.type, d)))
  const toAdd = target.records.filter((d) => !kept.has(key(change.type, d)))
  const toKeep = target.records.filter((d) => kept.has(key(change.type, d)))
  const toDelete = old.filter((d) => !wanted.has(key(change.type, d)))
  if (change.expect === undefined) {
    lines.push(`Set ${label}, so exactly these exist:`, ...rows(target.records, target.ttl))
  } else if (old.length === 0) {
    lines.push(`Create ${label}:`, ...rows(target.records, target.ttl))
  } else if (toAdd.length === 0 && toDelete.length === 0) {
    lines.push(`Change the TTL of these ${label} from ${before?.ttl ?? '-'} to ${target.ttl} (the data stays):`, ...rows(target.records, target.ttl))
  } else {
    lines.push(`Replace ${label}, in this order:`)
    lines.push('  1. add:', ...rows(toAdd, target.ttl))
    if (toKeep.length > 0) lines.push(`     keep${before && before.ttl !== target.ttl ? ` (TTL to ${target.ttl})` : ''}:`, ...rows(toKeep, target.ttl))
    if (toDelete.length > 0) lines.push('  2. then delete:', ...rows(toDelete, before?.ttl ?? null))
    lines.push(`  Add before you delete: ${change.type === 'MX' ? `for a moment with no MX, senders fall back to ${name}'s address records or bounce` : 'a moment without the records is a gap resolvers may cache'}.`)
  }
  lines.push('  zone-file lines:')
  // toText writes each TXT character-string quoted (a long single value cut at 255 octets), as a zone file needs them.
  lines.push(...ordered(change.type, target.records).map((d) => `    ${name}. ${target.ttl} IN ${change.type} ${toText(change.type, d)}`))
  lines.push(...dnscontrolLines(change, zone))
  return lines
}

/** A JavaScript string literal, as dnsconfig.js holds strings. */
const js = (text: string) => JSON.stringify(text)

/** One record as a dnscontrol record function of D() (dnsconfig.js); null for a type it is not written for here. */
export function dnscontrolRecord(type: string, label: string, data: RecordData, ttl: number): string | null {
  const fqdn = (n: string) => js(n === '.' ? '.' : `${n}.`)
  const mod = `TTL(${ttl})`
  switch (type) {
    case 'MX': {
      const mx = data as MxData
      return `MX(${js(label)}, ${mx.priority}, ${fqdn(mx.exchange)}, ${mod})`
    }
    case 'TXT': {
      // A split other than at 255 octets is part of the record: dnscontrol takes the strings as an array.
      const strings = txtStrings(data as TxtData)
      return `TXT(${js(label)}, ${Array.isArray(data) ? `[${strings.map(js).join(', ')}]` : js(data as string)}, ${mod})`
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return `${type}(${js(label)}, ${fqdn(data as string)}, ${mod})`
    case 'A':
    case 'AAAA':
      return `${type}(${js(label)}, ${js(data as string)}, ${mod})`
    case 'TLSA': {
      const t = data as TlsaData
      return `TLSA(${js(label)}, ${t.usage}, ${t.selector}, ${t.matchingType}, ${js(t.certificate)}, ${mod})`
    }
    default:
      return null
  }
}

/** The change as dnscontrol users make it: the record lines of this name and type in D(), replaced by these. */
function dnscontrolLines(change: RecordChange, zone: string): string[] {
  const label = relativeName(canonicalName(change.name), zone)
  const target = targetOf(change)
  const records = target ? target.records.map((d) => dnscontrolRecord(change.type, label, d, target.ttl)) : []
  if (records.some((r) => r === null)) return []
  const head = `  dnscontrol (dnsconfig.js, in D(${js(zone)}, …)): ${target ? `replace every ${change.type}(${js(label)}, …) line with` : `remove every ${change.type}(${js(label)}, …) line`}`
  return [target ? `${head}:` : head, ...records.map((r) => `    ${r},`)]
}

/** The RRset as the first authoritative server that answers serves it (RD=0): what counts. */
export async function readFromServers(deps: ManualDeps, name: string, type: string): Promise<RRset | null> {
  const errors: string[] = []
  for (const server of deps.authServers) {
    const r = await queryWithTcpFallback(deps.client, server, name, type as RecordType, {recursion: false, timeoutMs: deps.requestTimeoutMs ?? 2000})
    if ((r.status === 'ok' || r.status === 'nodata' || r.status === 'nxdomain') && r.aa) return rrsetFrom(r.answers, name, type)
    errors.push(`${serverLabel(server)} ${r.status}`)
  }
  throw new DnsHostError('unreachable', `no authoritative server of ${canonicalName(deps.zone)} answered for ${canonicalName(name)} ${type} (${errors.join(', ') || 'none configured'})`)
}

/** Servers (and changes) that do not serve the wanted state yet; unreachable ones are marked. */
async function pending(deps: ManualDeps, changes: readonly RecordChange[]): Promise<Pending[]> {
  // Kept in server order (not answer order), so messages name the same server every time.
  const checked = await Promise.all(
    deps.authServers.flatMap((server) =>
      changes.map(async (change): Promise<Pending | null> => {
        const r = await queryWithTcpFallback(deps.client, server, change.name, change.type as RecordType, {recursion: false, timeoutMs: deps.requestTimeoutMs ?? 2000})
        const usable = (r.status === 'ok' || r.status === 'nodata' || r.status === 'nxdomain') && r.aa
        const live = usable ? rrsetFrom(r.answers, change.name, change.type) : null
        return !usable || !matchesTarget(live, change) ? {server, change, live, status: usable ? 'stale' : r.status} : null
      }),
    ),
  )
  return checked.filter((p): p is Pending => p !== null)
}

/**
 * After a person made the change somewhere mxcut cannot see (a DNS console,
 * a repository and its pipeline): with someone at the terminal, asks them;
 * otherwise polls every authoritative server until all serve it.
 */
export async function awaitChange(deps: ManualDeps, changes: readonly RecordChange[], question = 'Have you made this change and saved it at your DNS host?', where = 'at your DNS host'): Promise<void> {
  const zone = canonicalName(deps.zone)
  if (deps.confirm) return confirmed(deps, changes, deps.confirm, question)

  if (deps.authServers.length === 0) throw new DnsHostError('unreachable', `no authoritative servers of ${zone} to watch for the change`)
  const timeoutMs = deps.timeoutMs ?? 3_600_000
  const interval = deps.pollIntervalMs ?? 5000
  deps.print(
    `Waiting until all ${deps.authServers.length} authoritative servers (${deps.authServers.map((s) => s.host).join(', ')}) serve it; checking every ${formatDuration(Math.max(1, Math.round(interval / 1000)))}, for up to ${formatDuration(Math.max(1, Math.round(timeoutMs / 1000)))}.`,
  )
  const deadline = Date.now() + timeoutMs
  // Soon after the change first (a pipeline may take seconds), then every interval.
  let delay = Math.min(1000, interval)
  for (;;) {
    const left = await pending(deps, changes)
    if (left.length === 0) return
    if (Date.now() + delay > deadline) {
      const unreachable = left.filter((p) => p.status !== 'stale')
      if (unreachable.length > 0 && unreachable.length === left.length) {
        const names = [...new Set(unreachable.map((p) => `${p.server.host} (${serverLabel(p.server)}: ${p.status})`))]
        throw new DnsHostError('unreachable', `the change could not be checked within ${formatDuration(Math.max(1, Math.round(timeoutMs / 1000)))}: ${names.join(', ')} did not answer`)
      }
      const first = left.find((p) => p.status === 'stale') ?? left[0]
      const serves = first.live ? rdataKeys(first.live).join(', ') + ` (TTL ${first.live.ttl})` : first.status === 'stale' ? 'nothing' : first.status
      throw new DnsHostError(
        'timeout',
        `the change did not appear within ${formatDuration(Math.max(1, Math.round(timeoutMs / 1000)))}: ${first.server.host} (${serverLabel(first.server)}) still serves ${serves} for ${canonicalName(first.change.name)} ${first.change.type}; check the change ${where} and resume`,
      )
    }
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(delay * 2, interval)
  }
}

/** What the servers still lack, per server, and the likely reason. */
function missingReport(left: readonly Pending[], servers: number): string {
  const lines = ['Not served yet:']
  for (const p of left) {
    const serves = p.status !== 'stale' ? `no answer (${p.status})` : p.live && p.live.records.length > 0 ? `${rdataKeys({type: p.live.type, records: ordered(p.live.type, p.live.records)}).join(', ')} (TTL ${p.live.ttl})` : 'nothing'
    const want = targetOf(p.change)
    lines.push(`  ${p.server.host} (${serverLabel(p.server)}) serves ${serves} for ${canonicalName(p.change.name)} ${p.change.type}; wanted ${want ? `${rdataKeys({type: want.type, records: ordered(want.type, want.records)}).join(', ')} (TTL ${want.ttl})` : 'none'}`)
  }
  const lagging = new Set(left.map((p) => p.server.host)).size < servers
  lines.push(
    lagging
      ? '  Some servers serve it already: the others are catching up (zone transfer from the primary); wait a little, or check that they are the secondaries of this zone.'
      : '  No authoritative server serves it: the change is not saved (or not published) at your DNS host yet. Check it there.',
  )
  return lines.join('\n')
}

/** Polls until every server serves the changes or `ms` passed; what is still missing. */
async function settle(deps: ManualDeps, changes: readonly RecordChange[], ms: number): Promise<Pending[]> {
  const deadline = Date.now() + ms
  const interval = Math.min(deps.pollIntervalMs ?? 1000, 1000)
  for (;;) {
    const left = await pending(deps, changes)
    if (left.length === 0 || Date.now() + interval > deadline) return left
    await new Promise((r) => setTimeout(r, interval))
  }
}

/** A person says the change is made: check it at once, and say exactly what is missing where, before asking again. */
async function confirmed(deps: ManualDeps, changes: readonly RecordChange[], confirm: (message: string) => Promise<boolean>, question: string): Promise<void> {
  for (let round = 0; ; round++) {
    const yes = await confirm(round === 0 ? question : 'Have you made (and saved) the missing change now?')
    if (!yes) throw new DnsHostError('cancelled', `the change to zone ${canonicalName(deps.zone)} was not confirmed; nothing was recorded as done`)
    const left = await settle(deps, changes, deps.graceMs ?? 20_000)
    if (left.length === 0) return
    deps.print(missingReport(left, deps.authServers.length))
  }
}

export function createManualHost(deps: ManualDeps): DnsHost {
  const zone = canonicalName(deps.zone)

  async function apply(changes: RecordChange[]): Promise<void> {
    if (changes.length === 0) return
    const lines = [`Make ${changes.length === 1 ? 'this change' : `these ${changes.length} changes`} at your DNS host, zone ${zone}:`, '']
    for (const change of changes) lines.push(...describeChange(change, zone), '')
    deps.print(lines.join('\n'))
    await awaitChange(deps, changes)
  }

  return {name: 'manual', atomic: false, read: (name, type) => readFromServers(deps, name, type), apply}
}

export default {
  name: 'manual',
  label: 'manual: mxcut shows each change, you make it in your DNS console',
  settings: null,
  limits: {minTtl: 1},
  init: {questions: [], settings: () => null},
  create: (_settings, deps) => createManualHost(deps),
} satisfies HostModule<null>
