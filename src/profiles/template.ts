import {canonicalName} from '../dns/names.js'
import {PLACEHOLDER} from './schema.js'

/** contoso.co.uk → contoso-co-uk, as Exchange Online and others name a domain's hosts. */
export function dashed(domain: string): string {
  return canonicalName(domain).replace(/\./g, '-')
}

export type Filled = {ok: true; value: string} | {ok: false; missing: string[]}

/** A profile template for one domain: {domain}, {domain-dashed} and the given parameters filled in. */
export function fillTemplate(template: string, domain: string, parameters: Readonly<Record<string, string>> = {}): Filled {
  const vars: Record<string, string> = {...parameters, domain: canonicalName(domain), 'domain-dashed': dashed(domain)}
  const missing = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => vars[name] === undefined)
  if (missing.length > 0) return {ok: false, missing: [...new Set(missing)]}
  return {ok: true, value: template.replace(PLACEHOLDER, (_, name: string) => vars[name])}
}

export function isTemplate(value: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(value)
}
