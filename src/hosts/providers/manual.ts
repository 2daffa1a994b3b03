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

/** The instructions for one change, as lines. */
export function describeChange(change: RecordChange, zone: string): string[] {
  const name = canonicalName(change.name)
  const label = `${change.type} records of ${relativeName(name, zone)} (${name})`
  const lines: string[] = []
  const target = targetOf(change)
  const before = change.expect ?? null
  if (target === null) {
    lines.push(`Delete all ${label}:`)
  } else {
    const verb = change.expect === undefined ? 'Set' : before && before.records.length > 0 ? 'Replace' : 'Create'
    lines.push(`${verb} ${label}, so exactly these exist:`)
  }
  if (before && before.records.length > 0) {
    lines.push('  delete:')
    lines.push(...table(before.records.map((d) => consoleRow(name, zone, change.type, d, before.ttl)), '    '))
  } else if (target === null) {
    lines.push('  delete: every record of this name and type')
  }
  if (target !== null) {
    lines.push('  add (or keep):')
    lines.push(...table(target.records.map((d) => consoleRow(name, zone, change.type, d, target.ttl)), '    '))
    lines.push('  zone-file lines:')
    // toText writes each TXT character-string quoted (a long single value cut at 255 octets), as a zone file needs them.
    lines.push(...target.records.map((d) => `    ${name}. ${target.ttl} IN ${change.type} ${toText(change.type, d)}`))
  }
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
  if (deps.confirm) {
    const yes = await deps.confirm(question)
    if (!yes) throw new DnsHostError('cancelled', `the change to zone ${zone} was not confirmed; nothing was recorded as done`)
    return
  }

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
