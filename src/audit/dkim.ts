import {canonicalName} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import type {Profile} from '../profiles/index.js'
import {finding} from './codes.js'
import {describeChain, describeStatus, followCname, isDefinite, type LookupFn} from './lookup.js'
import type {Finding} from './types.js'

/** The target's DKIM selectors (and, for Microsoft 365, autodiscover) as published today. */
export async function auditDkim(domain: string, profile: Profile, lookup: LookupFn): Promise<Finding[]> {
  const out: Finding[] = []
  const missing: string[] = []
  for (const sel of profile.dkim(domain)) {
    const name = `${sel.selector}._domainkey.${domain}`
    // A selector the provider wants as a CNAME may also be published as the key itself (or through another alias).
    if (sel.type === 'CNAME') {
      const r = await lookup(name, 'CNAME')
      if (!isDefinite(r.status)) {
        out.push(finding('CHECK_INCOMPLETE', `${name} CNAME`, `the DKIM selector ${name} ${describeStatus(r)}; check it again before the cutover.`))
        continue
      }
      if (r.answers.some((a) => a.type === 'CNAME' && a.name === canonicalName(name))) continue
    }
    const key = await followCname(lookup, name, 'TXT')
    if (!key.broken && !isDefinite(key.status)) {
      out.push(finding('CHECK_INCOMPLETE', `${name} ${sel.type}`, `the DKIM selector ${describeChain(key)} ${describeStatus(key)}; check it again before the cutover.`))
      continue
    }
    if (key.records.some((a) => /(^|;)\s*p=/.test(answerText(a)))) continue
    missing.push(`${name} ${sel.type} ${sel.value}${key.broken ? ` (today ${name} ${describeStatus(key)})` : ''}`)
  }
  if (missing.length > 0) {
    out.push(finding('DKIM_TARGET_MISSING', `${domain} DKIM (${profile.id})`, `${profile.name} signs your mail only once its DKIM selectors are published; publish ${missing.join(' and ')} (values from the provider's admin center) and enable DKIM signing there.`))
  }
  if (profile.autodiscover) {
    const want = profile.autodiscover
    const name = `${want.name}.${domain}`
    const r = await lookup(name, 'CNAME')
    if (!isDefinite(r.status)) {
      out.push(finding('CHECK_INCOMPLETE', `${name} CNAME`, `${name} ${describeStatus(r)}; check it again before the cutover.`))
    } else {
      const cname = r.answers.find((a) => a.type === 'CNAME' && a.name === canonicalName(name))
      if (!cname) {
        out.push(finding('AUTODISCOVER_MISSING', `${name} CNAME`, `Outlook finds the new mailboxes through autodiscover; publish ${name} CNAME ${want.value}.`))
      } else if (canonicalName(String(cname.data)) !== canonicalName(want.value)) {
        out.push(finding('AUTODISCOVER_MISSING', `${name} CNAME`, `${name} points at ${String(cname.data)}, not ${want.value}, so Outlook keeps finding the old mail system; change the CNAME to ${want.value} at the swap.`))
      }
    }
  }
  return out
}
