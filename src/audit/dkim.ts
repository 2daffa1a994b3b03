import {canonicalName} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import {finding} from './codes.js'
import {describeChain, describeStatus, followCname, isDefinite, type LookupFn} from './lookup.js'
import type {ResolvedTarget} from './target.js'
import type {Finding} from './types.js'

interface Expected {
  name: string
  type: 'CNAME' | 'TXT'
  /** Null: the provider assigns it; any key (or alias) at the name will do. */
  value: string | null
}

/** The DKIM records the audit looks for: the exact ones when known, else the profile's selectors. */
function expectedDkim(domain: string, target: ResolvedTarget): Expected[] {
  if (target.dkim.length > 0) return target.dkim
  return (target.profile.dkim?.records ?? []).flatMap((r) => (r.selector ? [{name: `${r.selector}._domainkey.${canonicalName(domain)}`, type: r.type, value: null}] : []))
}

const squash = (text: string) => text.replace(/\s+/g, '')

async function dkimPublished(e: Expected, lookup: LookupFn): Promise<{known: boolean; present: boolean; detail: string; broken?: boolean}> {
  // A selector the provider wants as a CNAME may also be published as the key itself (or through another alias).
  if (e.type === 'CNAME') {
    const r = await lookup(e.name, 'CNAME')
    if (!isDefinite(r.status)) return {known: false, present: false, detail: `${e.name} ${describeStatus(r)}`}
    const cname = r.answers.find((a) => a.type === 'CNAME' && a.name === canonicalName(e.name))
    if (cname) return {known: true, present: e.value === null || canonicalName(String(cname.data)) === canonicalName(e.value), detail: `${e.name} CNAME ${String(cname.data)}`}
  }
  const key = await followCname(lookup, e.name, 'TXT')
  if (!key.broken && !isDefinite(key.status)) return {known: false, present: false, detail: `${describeChain(key)} ${describeStatus(key)}`}
  const keys = key.records.filter((a) => /(^|;)\s*p=/.test(answerText(a))).map((a) => answerText(a))
  const present = keys.length > 0 && (e.value === null || e.type === 'CNAME' || keys.some((k) => squash(k) === squash(e.value ?? '')))
  return {known: true, present, detail: key.broken ? `${e.name} ${describeStatus(key)}` : keys.length ? 'another key' : 'no key', ...(key.broken ? {broken: true} : {})}
}

/** The target's DKIM records and autodiscover CNAME as published today. */
export async function auditDkim(domain: string, target: ResolvedTarget, lookup: LookupFn): Promise<Finding[]> {
  const out: Finding[] = []
  const missing: string[] = []
  for (const e of expectedDkim(domain, target)) {
    const got = await dkimPublished(e, lookup)
    if (!got.known) out.push(finding('CHECK_INCOMPLETE', `${e.name} ${e.type}`, `the DKIM selector ${got.detail}; check it again before the cutover.`))
    else if (!got.present) missing.push(`${e.name} ${e.type} ${e.value ?? '(value assigned by the provider)'}${got.broken ? ` (today ${got.detail})` : ''}`)
  }
  if (missing.length > 0) {
    const where = target.profile.dkim?.where.replaceAll('DOMAIN', domain) ?? "the provider's admin center"
    out.push(finding('DKIM_TARGET_MISSING', `${domain} DKIM (${target.profile.id})`, `${target.profile.name} signs your mail only once its DKIM records are published; publish ${missing.join(' and ')} (values from ${where}) and enable DKIM signing there.`))
  }
  const want = target.autodiscover
  if (want) {
    const r = await lookup(want.name, 'CNAME')
    if (!isDefinite(r.status)) {
      out.push(finding('CHECK_INCOMPLETE', `${want.name} CNAME`, `${want.name} ${describeStatus(r)}; check it again before the cutover.`))
    } else {
      const cname = r.answers.find((a) => a.type === 'CNAME' && a.name === canonicalName(want.name))
      if (!cname) {
        out.push(finding('AUTODISCOVER_MISSING', `${want.name} CNAME`, `Outlook finds the new mailboxes through autodiscover; publish ${want.name} CNAME ${want.value}.`))
      } else if (canonicalName(String(cname.data)) !== canonicalName(want.value)) {
        out.push(finding('AUTODISCOVER_MISSING', `${want.name} CNAME`, `${want.name} points at ${String(cname.data)}, not ${want.value}, so Outlook keeps finding the old mail system; change the CNAME to ${want.value} at the swap.`))
      }
    }
  }
  return out
}
