import {bold, dim, table} from '../lib/style.js'
import type {Profile} from './types.js'

/** A profile's records for one domain, as `mxcut profiles --json` prints them. */
export interface ProfileDescription {
  id: string
  name: string
  domain: string
  mx: Array<{priority: number; exchange: string}>
  alternativeMx: Array<Array<{priority: number; exchange: string}>>
  spfInclude: string | null
  verification: string | null
  dkim: Array<{name: string; type: 'CNAME' | 'TXT'; value: string}>
  autodiscover: {name: string; type: 'CNAME'; value: string} | null
  notes: string[]
}

const asMx = (list: Array<{priority: number; exchange: string}>) => list.map((m) => ({priority: m.priority, exchange: m.exchange}))

export function describeProfile(p: Profile, domain: string): ProfileDescription {
  return {
    id: p.id,
    name: p.name,
    domain,
    mx: asMx(p.mx(domain)),
    alternativeMx: (p.alternativeMx?.(domain) ?? []).map(asMx),
    spfInclude: p.spfInclude,
    verification: p.verificationPrefix ? `${p.verificationPrefix}… (TXT at ${domain}, value from the admin center)` : null,
    dkim: p.dkim(domain).map((d) => ({name: `${d.selector}._domainkey.${domain}`, type: d.type, value: d.value})),
    autodiscover: p.autodiscover ? {name: `${p.autodiscover.name}.${domain}`, type: 'CNAME', value: p.autodiscover.value} : null,
    notes: p.notes,
  }
}

export function renderProfiles(list: ProfileDescription[]): string {
  const out: string[] = []
  for (const p of list) {
    out.push(bold(`${p.id}`) + `  ${p.name}`)
    const rows: string[][] = []
    const mx = p.mx.length ? p.mx.map((m) => `${m.priority} ${m.exchange}`).join(', ') : 'from the config (target.mx)'
    rows.push(['MX', `${p.domain}`, mx])
    for (const alt of p.alternativeMx) rows.push(['MX (also valid)', p.domain, alt.map((m) => `${m.priority} ${m.exchange}`).join(', ')])
    rows.push(['SPF', p.domain, p.spfInclude ? `include:${p.spfInclude}` : 'from the config (target.spfInclude)'])
    rows.push(['TXT', p.domain, p.verification ?? 'from the config (target.verification)'])
    for (const d of p.dkim) rows.push([`DKIM ${d.type}`, d.name, d.value])
    if (p.autodiscover) rows.push(['CNAME', p.autodiscover.name, p.autodiscover.value])
    out.push(table(['RECORD', 'NAME', 'VALUE'], rows))
    for (const n of p.notes) out.push(dim(`note: ${n}`))
    out.push('')
  }
  return out.join('\n').trimEnd()
}
