import {mergeInclude, parseSpf} from '../audit/spf-record.js'
import {canonicalName} from '../dns/names.js'

/** The SPF record with include:X added (one record, the provider authorised): null when nothing changes. */
export function spfWithInclude(current: string | null, include: string, alsoKeep: string | null): {record: string; created: boolean} | {error: string} | null {
  if (current === null) {
    const includes = [alsoKeep, include].filter((x, i, a): x is string => x !== null && a.indexOf(x) === i)
    return {record: `v=spf1 ${includes.map((i) => `include:${i}`).join(' ')} ~all`, created: true}
  }
  const parsed = parseSpf(current)
  if (!parsed.ok) return {error: parsed.error}
  const has = parsed.record.terms.some((t) => t.kind === 'mechanism' && t.name === 'include' && canonicalName(t.domain ?? '') === canonicalName(include))
  if (has) return null
  return {record: mergeInclude(parsed.record, include), created: false}
}

/** The SPF record without include:X (the retired provider), or null when it is not there. */
export function spfWithoutInclude(current: string, include: string): string | null {
  const words = current.split(' ').filter((w) => w !== '')
  const kept = words.filter((w) => !new RegExp(`^\\+?include:${include.replace(/\./g, '\\.')}\\.?$`, 'i').test(w))
  return kept.length === words.length ? null : kept.join(' ')
}
