import {bold, dim, table} from '../lib/style.js'
import {fillTemplate} from './template.js'
import type {Profile} from './types.js'

/**
 * A profile's records for one domain, as `mxcut profiles --json` prints them.
 * What the provider assigns per tenant is described, never shown as a value:
 * `value: null` with `assigned` saying where to copy it from.
 */
export interface ProfileDescription {
  id: string
  name: string
  kind: Profile['kind']
  aliases: string[]
  docs: string[]
  domain: string
  /** The documented MX for the domain; a template when it needs a parameter ({region}); empty when it comes from the tenant or config. */
  mx: Array<{priority: number; exchange: string}>
  /** MX hosts the provider assigns per domain (described, never invented). */
  assignedMx: string[]
  alternativeMx: Array<Array<{priority: number; exchange: string}>>
  /** Where the tenant's own MX value is shown. */
  mxWhere: string
  spfInclude: string | null
  spfWhere: string | null
  verification: {name: string; prefix: string | null; where: string} | null
  dkim: Array<{name: string; type: 'CNAME' | 'TXT'; value: string | null; assigned: string | null}>
  autodiscover: {name: string; type: 'CNAME'; value: string} | null
  parameters: Record<string, {description: string; examples: string[]}>
  tenantApi: string | null
  /** Gateways: where the vendor lists the IP ranges it relays inbound mail from, and the ranges when it publishes one list for all. */
  gateway: {ipRanges: string[]; ipRangesWhere: string} | null
  /** Mailbox providers: where a filtering gateway in front of them is declared. */
  inboundGateway: {where: string; docs: string} | null
  reverseDns: Profile['reverseDns']
  notes: string[]
}

const filled = (template: string, domain: string) => {
  const f = fillTemplate(template, domain)
  // A template that needs a parameter is shown as the template: {region} says what to give.
  return f.ok ? f.value : template.replace('{domain-dashed}', domain.replace(/\./g, '-')).replace('{domain}', domain)
}
const absolute = (label: string, domain: string) => (label === '@' ? domain : `${label}.${domain}`)
const here = (text: string, domain: string) => text.replaceAll('DOMAIN', domain)

export function describeProfile(p: Profile, domain: string): ProfileDescription {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    aliases: p.aliases,
    docs: p.docs,
    domain,
    mx: p.mx.records.map((m) => ({priority: m.priority, exchange: filled(m.exchange, domain)})),
    assignedMx: p.mx.assigned.map((a) => a.description),
    alternativeMx: p.mx.alternatives.map((set) => set.map((m) => ({priority: m.priority, exchange: filled(m.exchange, domain)}))),
    mxWhere: here(p.mx.where, domain),
    spfInclude: p.spf.include ? filled(p.spf.include, domain) : null,
    spfWhere: p.spf.where ? here(p.spf.where, domain) : null,
    verification: p.verification ? {name: absolute(p.verification.name, domain), prefix: p.verification.prefix ?? null, where: here(p.verification.where, domain)} : null,
    dkim: (p.dkim?.records ?? []).map((d) => ({
      name: d.selector ? `${d.selector}._domainkey.${domain}` : `(selector assigned)._domainkey.${domain}`,
      type: d.type,
      value: d.selector && d.value ? filled(d.value, domain) : null,
      assigned: d.selector && d.value ? null : here(p.dkim?.where ?? '', domain),
    })),
    autodiscover: p.autodiscover ? {name: absolute(p.autodiscover.name, domain), type: 'CNAME', value: filled(p.autodiscover.value, domain)} : null,
    parameters: Object.fromEntries(Object.entries(p.parameters).map(([k, v]) => [k, {description: v.description, examples: v.examples}])),
    tenantApi: p.tenant?.api ?? null,
    gateway: p.gateway ? {ipRanges: p.gateway.ipRanges, ipRangesWhere: p.gateway.ipRangesWhere} : null,
    inboundGateway: p.inboundGateway ?? null,
    reverseDns: p.reverseDns,
    notes: p.notes,
  }
}

function rowsOf(p: ProfileDescription): string[][] {
  const rows: string[][] = []
  const mx = p.mx.length ? p.mx.map((m) => `${m.priority} ${m.exchange}`).join(', ') : `from the config (target.mx): ${p.mxWhere}`
  rows.push(['MX', p.domain, mx])
  for (const alt of p.alternativeMx) rows.push(['MX (also valid)', p.domain, alt.map((m) => `${m.priority} ${m.exchange}`).join(', ')])
  for (const a of p.assignedMx) rows.push(['MX (also valid)', p.domain, `assigned per domain, never derived: ${a}`])
  rows.push(['SPF', p.domain, p.spfInclude ? `include:${p.spfInclude}` : `from the config (target.spfInclude)${p.spfWhere ? `: ${p.spfWhere}` : ''}`])
  if (p.verification) rows.push(['TXT', p.verification.name, `${p.verification.prefix ? `${p.verification.prefix}… ` : ''}assigned per tenant (target.verification): ${p.verification.where}`])
  for (const d of p.dkim) rows.push([`DKIM ${d.type}`, d.name, d.value ?? `assigned per tenant (target.dkim): ${d.assigned ?? ''}`])
  if (p.autodiscover) rows.push(['CNAME', p.autodiscover.name, p.autodiscover.value])
  return rows
}

export function renderProfiles(list: ProfileDescription[]): string {
  const out: string[] = []
  for (const p of list) {
    out.push(bold(`${p.id}`) + `  ${p.name}` + (p.aliases.length ? dim(`  (also: ${p.aliases.join(', ')})`) : ''))
    out.push(table(['RECORD', 'NAME', 'VALUE'], rowsOf(p)))
    for (const [k, v] of Object.entries(p.parameters)) out.push(dim(`parameter {${k}}: target.${k}, ${v.description} (e.g. ${v.examples.join(', ')})`))
    if (p.tenantApi) out.push(dim(`tenant values: read from Microsoft Graph with target.graph.token (Domain.Read.All)`))
    if (p.gateway) out.push(dim(`gateway: the mailbox provider behind it (target.behind) must accept mail from ${p.gateway.ipRanges.length > 0 ? p.gateway.ipRanges.join(', ') : `its IP ranges (target.gatewayIpRanges): ${p.gateway.ipRangesWhere}`}`))
    if (p.inboundGateway) out.push(dim(`behind a filtering gateway: ${p.inboundGateway.where} (${p.inboundGateway.docs})`))
    for (const n of p.notes) out.push(dim(`note: ${n}`))
    out.push(dim(`source: ${p.docs.join(' ')}`))
    out.push('')
  }
  return out.join('\n').trimEnd()
}
