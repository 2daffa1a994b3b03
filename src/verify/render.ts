import {count} from '../lib/text.js'
import {bold, dim, green, red, table, yellow} from '../lib/style.js'
import {formatDuration, formatWhen} from '../lib/time.js'
import type {AnswerJson, ServerReport, ServerStatus} from './classify.js'
import type {VerifyReport} from './verify.js'
import type {WatchResult} from './watch.js'

export function colorStatus(status: ServerStatus): string {
  switch (status) {
    case 'updated':
      return green(status)
    case 'stale':
    case 'mixed':
      return yellow(status)
    default:
      return red(status)
  }
}

function answerText(a: AnswerJson): string {
  const body = a.status === 'ok' ? (a.records.map((r) => `${r.priority} ${r.exchange}`).join(', ') || '(no MX)') : a.status.toUpperCase()
  return (a.expected ? body : `${body} (old)`) + (a.count > 1 ? ` ×${a.count}` : '')
}

export function serverTitle(r: Pick<ServerReport, 'name' | 'address'>): string {
  return r.name === r.address ? r.address : `${r.name} (${r.address})`
}

function note(r: ServerReport): string {
  const parts: string[] = []
  if (r.authenticated === true) parts.push(green('DNSSEC-validated (AD)'))
  if (r.clamping) parts.push(red(`clamps TTLs: ${r.clamping.message}`))
  if (r.error) parts.push(r.status === 'updated' || r.status === 'stale' || r.status === 'mixed' ? dim(r.error) : r.error)
  return parts.join('; ')
}

function serverRows(list: ServerReport[], authoritative: boolean): string[][] {
  return list.map((r) => {
    const ttl = authoritative
      ? (r.answers.map((a) => (a.ttl === null ? '-' : `${a.ttl} s`)).join(', ') || '-')
      : r.ttlRemaining === null
        ? '-'
        : `${r.ttlRemaining} s`
    const answer = r.answers.map(answerText).join(' | ') || '-'
    const row = [serverTitle(r), colorStatus(r.status)]
    if (authoritative) row.push(r.serial == null ? '-' : String(r.serial))
    row.push(ttl, answer, note(r))
    return row
  })
}

/** The one-shot report: the expected set, a table per server group, then the verdict. */
export function renderVerify(report: VerifyReport, header?: string): string {
  const out: string[] = []
  out.push(bold(report.domain) + `  expecting MX ${report.expected.map((m) => `${m.priority} ${m.exchange}`).join(', ') || '(none)'}`)
  if (header) out.push(dim(header))
  if (report.publishedTtl !== null) out.push(dim(`old MX published with TTL ${report.publishedTtl} s (${report.publishedTtlSource === 'given' ? 'given' : 'as the authoritative servers served it'})`))
  if (report.authoritative.length > 0) {
    out.push('')
    out.push(table(['AUTHORITATIVE', 'STATUS', 'SERIAL', 'TTL', 'ANSWER', 'NOTE'], serverRows(report.authoritative, true)))
  }
  if (report.resolvers.length > 0) {
    out.push('')
    out.push(table(['RESOLVER', 'STATUS', 'OLD TTL LEFT', 'ANSWER', 'NOTE'], serverRows(report.resolvers, false)))
  }
  out.push('')
  out.push(verdictLine(report))
  for (const p of report.pending) out.push(`  - ${p}`)
  return out.join('\n')
}

export function verdictLine(report: VerifyReport, now = Date.parse(report.checkedAt)): string {
  if (report.converged) {
    return green(`Converged: ${report.authoritative.length === 1 ? 'the' : 'all'} ${count(report.authoritative.length, 'authoritative server')} and ${count(report.resolvers.length, 'resolver')} serve the expected MX.`)
  }
  const eta = report.eta === null ? '' : `; the last stale cache expires ${formatWhen(Date.parse(report.eta), now)} if it obeys TTLs`
  return yellow(`Not converged${eta}.`)
}

/** One line per change of state, for logs, CI and terminals without a live display. */
export function progressLine(report: VerifyReport, now = Date.parse(report.checkedAt)): string {
  const s = report.summary
  const auth = report.authoritative.filter((r) => r.status === 'updated').length
  const parts = [`authoritative ${auth}/${report.authoritative.length} updated`, `resolvers ${s.updated}/${report.resolvers.length} updated`]
  for (const k of ['stale', 'mixed', 'unreachable', 'error'] as const) if (s[k] > 0) parts.push(`${s[k]} ${k}`)
  const clamping = report.resolvers.filter((r) => r.clamping?.rrset === 'old' && r.status !== 'updated')
  if (clamping.length > 0) parts.push(`${clamping.length} clamping TTLs`)
  let tail = ''
  if (report.converged) tail = ' — converged'
  else if (report.eta !== null) tail = ` — last stale cache expires ${formatWhen(Date.parse(report.eta), now)}`
  return `${new Date(now).toLocaleTimeString('en-GB', {hour12: false})}  ${parts.join(', ')}${tail}`
}

/** A state signature: the plain watch output prints a line when it changes. */
export function stateKey(report: VerifyReport): string {
  return [...report.authoritative, ...report.resolvers].map((r) => `${r.address}=${r.status}`).join(' ') + ` eta=${report.eta === null ? '-' : Math.round(Date.parse(report.eta) / 1000)}`
}

export function watchSummary(result: WatchResult): string {
  const took = (Date.parse(result.report.checkedAt) - Date.parse(result.startedAt)) / 1000
  if (result.converged) return green(`Converged after ${formatDuration(took)} (${result.rounds} checks).`)
  if (result.aborted) return yellow(`Stopped after ${formatDuration(took)} (${result.rounds} checks) without convergence.`)
  return red(`Gave up after ${formatDuration(took)} (${result.rounds} checks): not converged.`)
}

/** The per-server status line of the live display. */
export function liveTitle(r: ServerReport, now: number): string {
  const bits = [serverTitle(r), colorStatus(r.status)]
  if ((r.status === 'stale' || r.status === 'mixed') && r.expiresAt) bits.push(`old MX expires ${formatWhen(Date.parse(r.expiresAt), now)}`)
  if (r.clamping?.rrset === 'old' && r.status !== 'updated') bits.push(red(`clamps TTLs (+${r.clamping.excess} s)`))
  if ((r.status === 'unreachable' || r.status === 'error') && r.error) bits.push(r.error)
  return bits.join('  ')
}
