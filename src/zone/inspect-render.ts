import {formatSeconds} from '../lib/time.js'
import {bold, green, red, table, yellow} from '../lib/style.js'
import type {InspectReport} from './inspect.js'
import {serverName} from './inspect.js'

function ttl(seconds: number | null): string {
  return seconds === null ? '-' : formatSeconds(seconds)
}

/** One line: signed or not, the DS at the parent, the MX's signatures, and what validating resolvers say. */
export function dnssecText(r: InspectReport): string {
  const d = r.dnssec
  if (!d) return '-'
  const validating = d.validation.filter((v) => v.status === 'secure').length
  const bogus = d.validation.filter((v) => v.status === 'bogus')
  const ds = d.ds.status === 'present' ? (d.ds.records.some((x) => x.matches) ? 'DS at the parent matches' : red('DS at the parent matches no key')) : d.ds.status === 'absent' ? 'no DS at the parent' : 'DS unknown'
  if (!d.signed) return d.ds.status === 'present' ? red(`not signed, but ${ds}`) : `not signed (${ds})`
  const keys = d.keys.map((k) => `${k.algorithmName} key ${k.keyTag}${k.sep ? ' (KSK)' : ''}`).join(', ')
  const mx = d.servers.flatMap((s) => s.signatures.filter((x) => x.name === r.domain && x.type === 'MX').map((x) => ({server: s.server, ...x})))
  const unsigned = mx.filter((x) => x.state !== 'signed')
  const mxText = mx.length === 0 ? '' : unsigned.length === 0 ? `; MX signed on every server (RRSIG until ${mx.map((x) => x.expiresAt ?? '').sort()[0].slice(0, 16)}Z)` : red(`; MX not signed right on ${unsigned.map((x) => `${x.server} (${x.detail})`).join(', ')}`)
  const verdict = bogus.length > 0 ? red(`BOGUS at ${bogus.map((b) => b.resolver).join(', ')}`) : d.validation.length === 0 ? 'validation not checked (no resolver)' : validating > 0 ? green(`validates (AD from ${validating} of ${d.validation.length} resolvers)`) : yellow(`not validated by any resolver (AD from none of ${d.validation.length})`)
  return `signed (${keys}); ${ds}${mxText}; ${verdict}`
}

/** The human-readable inspect report: servers table, then the mail records, disagreements marked. */
export function renderInspect(r: InspectReport): string {
  const out: string[] = []
  out.push(bold(`${r.domain}`) + (r.zone !== r.domain ? `  (zone ${r.zone})` : ''))
  out.push('')
  out.push(
    table(
      ['NAME SERVER', 'SERIAL', 'STATE'],
      r.nameservers.map((n) => [
        serverName(n),
        n.serial === null ? '-' : String(n.serial),
        !n.reachable ? red(`unreachable: ${n.error ?? ''}`) : !n.authoritative ? red(n.error ?? 'not authoritative') : n.tcpOnly ? yellow('answers over TCP only') : green('ok'),
      ]),
    ),
  )
  out.push('')
  out.push(r.consistent ? green('All authoritative servers agree.') : red(`Authoritative servers disagree (${r.disagreements.length}):`))
  for (const d of r.disagreements) {
    out.push(`  ${yellow(d.subject)}`)
    for (const v of d.values) out.push(`    ${v.server}: ${v.value}`)
  }
  out.push('')
  const mx = r.mx.nullMx
    ? 'null MX (0 .): the domain accepts no mail'
    : r.mx.records.length === 0
      ? yellow(`none (${r.mx.status}): senders fall back to the A/AAAA record`)
      : r.mx.records.map((m) => `${m.priority} ${m.exchange}`).join(', ')
  const rows: string[][] = [
    ['MX', mx],
    ['MX TTL', ttl(r.mx.ttl)],
  ]
  for (const t of r.mxTargets) {
    const value =
      t.status === 'not-looked-up'
        ? 'not looked up (no resolver given)'
        : t.cname
          ? red(`alias of ${t.cname}`) + (t.addresses.length ? ` → ${t.addresses.join(', ')}` : '')
          : t.addresses.length > 0
            ? t.addresses.join(', ')
            : red(t.status)
    rows.push([`  ${t.exchange}`, value])
  }
  rows.push(['SPF', r.spfRecords.length > 1 ? red(`${r.spfRecords.length} records: ${r.spfRecords.join(' | ')}`) : (r.spf ?? yellow('none'))])
  rows.push(['DMARC', r.dmarc ?? yellow('none')])
  rows.push(['MTA-STS', r.mtaSts.txt ? `${r.mtaSts.txt}${r.mtaSts.hostAddresses.length ? ` (mta-sts host ${r.mtaSts.hostAddresses.join(', ')})` : ''}` : 'none'])
  rows.push(['DKIM', r.dkim.length ? r.dkim.map((d) => `${d.selector} ${d.type} ${d.type === 'TXT' ? d.value.slice(0, 40) + (d.value.length > 40 ? '…' : '') : d.value}`).join('; ') : 'none of selector1, selector2, google'])
  rows.push(['Autodiscover', r.autodiscover ?? 'none'])
  if (r.dnssec) rows.push(['DNSSEC', dnssecText(r)])
  if (r.soa) rows.push(['SOA', `serial ${r.soa.serial}, negative-cache TTL ${ttl(r.soa.negativeTtl)}`])
  out.push(table(['RECORD', 'VALUE'], rows))
  return out.join('\n')
}
