import {bold, dim, green, red, yellow} from '../lib/style.js'
import {formatDuration} from '../lib/time.js'
import {SEVERITY_ORDER} from './codes.js'
import type {MxHostReport} from './mx-hosts.js'
import {describeProbe, type SmtpProbeResult} from './smtp.js'
import {describeTls} from './smtp-tls.js'
import type {DomainAudit} from './audit.js'
import type {Severity} from './types.js'

const HEADINGS: Record<Severity, string> = {error: 'Errors', warning: 'Warnings', info: 'Info'}
const COLOUR: Record<Severity, (s: string) => string> = {error: red, warning: yellow, info: (s) => s}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The text report: what was audited, then findings grouped by severity, then notes. */
export function renderAudit(audit: DomainAudit): string {
  const r = audit.report
  const out: string[] = []
  out.push(bold(r.domain) + (r.zone && r.zone !== r.domain ? `  (zone ${r.zone})` : ''))
  out.push(`  source: ${r.source ?? 'not recognised from today\'s MX'}   target: ${r.target ?? 'none (give --to PROFILE to check the target too)'}`)
  for (const h of audit.targetHosts) out.push(...hostLines('target MX', h))
  for (const h of audit.sourceHosts) out.push(...hostLines("today's MX", h))
  out.push('')
  for (const severity of SEVERITY_ORDER) {
    const group = r.findings.filter((f) => f.severity === severity)
    if (group.length === 0) continue
    out.push(COLOUR[severity](bold(`${HEADINGS[severity]} (${group.length})`)))
    for (const f of group) {
      out.push(`  ${COLOUR[severity](f.code)}  ${f.subject}`)
      out.push(`      ${f.message}`)
    }
    out.push('')
  }
  const s = r.summary
  const verdict =
    s.error > 0
      ? red(`${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${s.info} info: fix the errors before the cutover.`)
      : s.warning > 0
        ? yellow(`No errors; ${plural(s.warning, 'warning')}, ${s.info} info.`)
        : green(`No errors, no warnings${s.info ? `, ${s.info} info` : ''}.`)
  out.push(verdict)
  for (const note of r.notes ?? []) out.push(dim(`note: ${note}`))
  return out.join('\n')
}

/** One line per host; one more per address when its addresses answered differently. */
function hostLines(label: string, h: MxHostReport): string[] {
  const addresses = h.resolved.addresses.length > 0 ? h.resolved.addresses.join(', ') : red(h.resolved.status)
  const said = (p: SmtpProbeResult) => `SMTP: ${p.outcome === 'accepted' ? green(describeProbe(p)) : p.outcome === 'rejected' ? red(describeProbe(p)) : describeProbe(p)}${p.tls ? `; ${describeTls(p.tls)}` : ''}`
  const ptr = (h.ptr ?? []).filter((x) => x.status !== 'confirmed').map((x) => `; PTR of ${x.address}: ${x.status}`)
  const differ = new Set(h.probes.map((p) => `${p.outcome} ${p.code ?? ''}`)).size > 1
  const head = `  ${label} ${h.priority} ${h.exchange} → ${addresses}${h.probe && !differ ? `; ${said(h.probe)}` : ''}${ptr.join('')}`
  return differ ? [head, ...h.probes.map((p) => `      ${p.address}: ${said(p)}`)] : [head]
}

export function renderBatchLine(domain: string, summary: {error: number; warning: number; info: number} | null, error?: string): string {
  if (!summary) return `${domain}: ${red(`could not be audited: ${error ?? 'unknown error'}`)}`
  const text = `${plural(summary.error, 'error')}, ${plural(summary.warning, 'warning')}, ${summary.info} info`
  return `${domain}: ${summary.error > 0 ? red(text) : summary.warning > 0 ? yellow(text) : green(text)}`
}

export function renderElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms / 1000)
}
