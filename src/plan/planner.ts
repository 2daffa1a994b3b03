import {isSpfRecord, mergeInclude, parseSpf} from '../audit/spf-record.js'
import type {Finding} from '../audit/types.js'
import {canonicalName} from '../dns/names.js'
import type {MxData, SoaData} from '../dns/records.js'
import {formatDuration} from '../lib/time.js'
import {questionKey} from '../zone/read.js'
import {sameData, type RRset} from '../zone/rrset.js'
import type {Config} from './config.js'
import type {MxRecord, Observed, RRsetChange, RRsetJson, Step} from '../state/schema.js'
import {resolveSource, resolveTarget, type ResolvedTarget} from './target.js'

/**
 * The planner: a pure function of (observed DNS, config, clock). It never
 * reads DNS itself; everything it needs is in ObservedDomain, gathered by
 * src/plan/observe.ts, so the same arithmetic runs in tests with a fake clock.
 */

export const SPF_LOOKUP_LIMIT = 10

/** What the authoritative servers of one domain served when the plan was made. */
export interface ObservedDomain {
  domain: string
  zone: string
  /** ISO time of the observation. */
  at: string
  nameservers: Array<{name: string; address: string; port: number; serial: number | null; reachable: boolean; authoritative: boolean; error?: string}>
  soa: (SoaData & {ttl: number}) | null
  mx: {
    /** The largest TTL any authoritative server gave the MX RRset (null: no MX). */
    ttl: number | null
    records: MxData[]
  }
  /** RRsets by questionKey(name, type), as the first authoritative server served them; null: asked, absent. */
  rrsets: Record<string, RRset | null>
  /** Where reachable authoritative servers disagree (SOA serial or an RRset). */
  disagreements: Array<{subject: string; values: Array<{server: string; value: string}>}>
  /** The audit's findings; audited false when no audit ran. */
  findings: Finding[]
  audited: boolean
  /** The SPF record the plan would publish, counted through DNS by the caller (RFC 7208 §4.6.4). */
  spfCount?: {record: string; lookups: number; problems: string[]} | null
}

export interface Blocker {
  code: string
  subject: string
  message: string
}

export interface CutoverPlan {
  domain: string
  zone: string
  strategy: 'replace' | 'staged'
  createdAt: string
  target: {profile: string; mx: MxRecord[]; spfInclude: string | null; verification: string | null}
  source: {profile: string | null; detected: boolean}
  observed: Observed
  findings: Finding[]
  /** Findings the plan itself takes care of, and the step that does. */
  handled: Array<{code: string; step: string}>
  blockers: Blocker[]
  notes: string[]
  steps: Step[]
  /** Rollback procedure, in order, each with the exact changes. */
  rollback: Array<{title: string; why: string; changes: RRsetChange[]}>
  ttl: {old: number | null; lowered: number; swap: number; final: number; negative: number | null; margin: number}
}

/** RFC 2308 §5: a resolver caches "no such record" for min(SOA MINIMUM, TTL of the SOA). */
export function negativeTtl(soa: {minimum: number; ttl: number} | null): number | null {
  return soa ? Math.min(soa.minimum, soa.ttl) : null
}

const mxJson = (records: readonly MxData[]): MxRecord[] =>
  [...records]
    .map((r) => ({priority: r.priority, exchange: canonicalName(r.exchange)}))
    .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))

function rrsetJson(set: RRset): RRsetJson {
  return {name: set.name, type: set.type, ttl: set.ttl, records: set.records.map((r) => (typeof r === 'object' ? {...r} : r)) as RRsetJson['records']}
}

/** A new MTA-STS policy id (RFC 8461 §3.1: 1 to 32 letters and digits), from the plan's clock. */
export function mtaStsId(now: Date): string {
  return now.toISOString().replace(/[^0-9]/g, '').slice(0, 14)
}

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

const STEP_DURATION_DEFAULT = 0

/** When each step could start and end if the run started at `from` and every wait ran out exactly. */
export function estimateSchedule(steps: readonly Step[], from: Date): Array<{id: string; start: Date; end: Date}> {
  const end = new Map<string, number>()
  const out: Array<{id: string; start: Date; end: Date}> = []
  let t = from.getTime()
  let lastChange: Step | undefined
  for (const step of steps) {
    const ruleEnd = Math.max(t, ...(step.waitFor ?? []).map((r) => (end.get(r.after) ?? t) + r.seconds * 1000))
    let start = t
    let finish = t
    if (step.kind === 'wait') {
      finish = ruleEnd
    } else {
      start = ruleEnd
      // A verify step converges once resolvers drop what they cached before the last change.
      const cacheTtl = step.kind === 'verify' ? Math.max(0, ...(lastChange?.changes ?? []).map((c) => c.before?.ttl ?? 0)) : STEP_DURATION_DEFAULT
      finish = start + cacheTtl * 1000
    }
    if (step.kind === 'dns-change') lastChange = step
    end.set(step.id, finish)
    out.push({id: step.id, start: new Date(start), end: new Date(finish)})
    t = finish
  }
  return out
}

function mxLines(records: readonly MxData[]): string {
  return records.length === 0 ? '(none)' : mxJson(records).map((m) => `${m.priority} ${m.exchange}`).join(', ')
}

/** Findings that must stop planning: the plan's arithmetic or its single SPF record would be wrong. */
const BLOCKING_FINDINGS = new Set(['NS_UNREACHABLE', 'NS_SERIAL_MISMATCH', 'NS_RRSET_MISMATCH', 'SPF_MULTIPLE', 'SPF_SYNTAX', 'MX_NULL_MIXED'])

export function planCutover(observed: ObservedDomain, config: Config, now: Date): CutoverPlan {
  const domain = canonicalName(observed.domain)
  const target = resolveTarget(config, domain)
  const source = resolveSource(config, observed.mx.records)
  const blockers: Blocker[] = []
  const notes: string[] = []
  const handled: CutoverPlan['handled'] = []
  const block = (code: string, subject: string, message: string) => {
    if (!blockers.some((b) => b.code === code && b.subject === subject)) blockers.push({code, subject, message})
  }
  const margin = config.ttl.margin
  const lowered = config.ttl.lowered
  const neg = negativeTtl(observed.soa)
  const get = (name: string, type: string): RRset | null => observed.rrsets[questionKey(name, type)] ?? null
  const touched = new Map<string, {name: string; type: string; rrset: RRsetJson | null}>()
  const touch = (name: string, type: string) => {
    const set = get(name, type)
    touched.set(questionKey(name, type), {name: canonicalName(name), type, rrset: set ? rrsetJson(set) : null})
  }

  // 1. Can the plan be trusted at all? Every authoritative server must answer and agree.
  const live = observed.nameservers.filter((n) => n.reachable && n.authoritative)
  for (const n of observed.nameservers) {
    if (!n.reachable) block('NS_UNREACHABLE', `${n.name} (${n.address})`, `${n.name} (${n.address}) does not answer, so the TTL it serves is unknown; fix it or remove it from the NS set, then plan again`)
    else if (!n.authoritative) block('NS_UNREACHABLE', `${n.name} (${n.address})`, `${n.name} (${n.address}) is not authoritative for ${observed.zone} (${n.error ?? 'lame delegation'}); fix the delegation, then plan again`)
  }
  const serials = new Set(live.map((n) => n.serial))
  if (serials.size > 1) {
    const list = live.map((n) => `${n.name} ${n.serial}`).join(', ')
    block('NS_SERIAL_MISMATCH', `${observed.zone} SOA`, `the authoritative servers serve different SOA serials (${list}): a secondary is lagging, so it may serve other records and TTLs; wait for the zone transfer (or fix it) and plan again`)
  }
  for (const d of observed.disagreements) {
    if (d.subject === 'SOA serial') continue
    block('NS_RRSET_MISMATCH', d.subject, `the authoritative servers serve different ${d.subject} RRsets (${d.values.map((v) => `${v.server}: ${v.value}`).join('; ')}); make them agree, then plan again`)
  }
  if (!observed.soa && live.length > 0) block('NO_SOA', observed.zone, `no SOA for ${observed.zone}: the negative-caching TTL cannot be computed`)
  for (const f of observed.findings) {
    if (BLOCKING_FINDINGS.has(f.code) && !(f.code.startsWith('NS_') && blockers.some((b) => b.code === f.code))) block(f.code, f.subject, f.message)
  }

  const oldMx = get(domain, 'MX')
  const oldRecords = mxJson(observed.mx.records)
  const oldTtl = observed.mx.ttl
  const targetMx = mxJson(target.mx)
  if (targetMx.length === 0) block('TARGET_MX_UNKNOWN', `${domain} MX`, `the target profile ${target.profile.id} has no MX value for ${domain}: give target.mx`)
  const nullMx = oldRecords.length === 1 && oldRecords[0].exchange === '.'
  if (oldRecords.some((m) => m.exchange === '.') && oldRecords.length > 1) {
    block('MX_NULL_MIXED', `${domain} MX`, `${domain} publishes a null MX beside other MX records (RFC 7505 §3); remove one of them, then plan again`)
  }
  if (targetMx.length > 0 && sameData({type: 'MX', records: oldRecords}, {type: 'MX', records: targetMx})) {
    block('ALREADY_AT_TARGET', `${domain} MX`, `${domain} MX already points at the target (${mxLines(targetMx)}): nothing to cut over`)
  }
  const swapTtl = oldTtl === null ? lowered : Math.min(oldTtl, lowered)
  const finalTtl = config.ttl.final ?? oldTtl ?? 3600
  const mx = (records: MxRecord[], ttl: number): RRsetJson => ({name: domain, type: 'MX', ttl, records})

  // 2. Companions: records the target needs beside MX, published early (RFC 2308 negative caching).
  const companions: RRsetChange[] = []
  const companionWhy: string[] = []
  const apexTxt = get(domain, 'TXT')
  const txtRecords = (apexTxt?.records ?? []).map(String)
  let newTxt = [...txtRecords]
  const spfRecords = txtRecords.filter(isSpfRecord)
  let mergedSpf: string | null = null
  if (target.spfInclude) {
    if (spfRecords.length > 1) {
      block('SPF_MULTIPLE', `${domain} TXT (SPF)`, `${domain} publishes ${spfRecords.length} SPF records, so the target's include cannot be merged into one; merge them into a single v=spf1 record, then plan again`)
    } else {
      const merged = spfWithInclude(spfRecords[0] ?? null, target.spfInclude, source.spfInclude)
      if (merged && 'error' in merged) {
        block('SPF_SYNTAX', `${domain} TXT (SPF)`, `the SPF record does not parse (${merged.error}), so include:${target.spfInclude} cannot be merged into it; fix it, then plan again`)
      } else if (merged) {
        mergedSpf = merged.record
        newTxt = merged.created ? [...newTxt, merged.record] : newTxt.map((t) => (t === spfRecords[0] ? merged.record : t))
        companionWhy.push(merged.created ? `creates the SPF record ${JSON.stringify(merged.record)} (none today; ~all so unlisted senders soft-fail rather than bounce)` : `merges include:${target.spfInclude} into the one SPF record, so mail the target sends for ${domain} passes SPF`)
        handled.push({code: 'SPF_TARGET_INCLUDE_MISSING', step: 'publish-companions'}, {code: 'SPF_MISSING', step: 'publish-companions'})
        const count = observed.spfCount
        if (count && count.record === merged.record) {
          if (count.lookups > SPF_LOOKUP_LIMIT) {
            block('SPF_TOO_MANY_LOOKUPS', `${domain} TXT (SPF)`, `the merged SPF record ${JSON.stringify(merged.record)} needs ${count.lookups} DNS lookups (limit ${SPF_LOOKUP_LIMIT}, RFC 7208 §4.6.4), so receivers would return permerror; remove includes you no longer use (often the source provider's) or replace a/mx terms with ip4:/ip6:, then plan again`)
          } else {
            notes.push(`The merged SPF record needs ${count.lookups} of at most ${SPF_LOOKUP_LIMIT} DNS lookups.${count.problems.length ? ` Not every include could be followed (${count.problems.join('; ')}), so that is a lower bound.` : ''}`)
          }
        } else {
          notes.push(`The DNS lookups of the merged SPF record were not counted; check that it stays within ${SPF_LOOKUP_LIMIT}.`)
        }
      }
    }
  }
  if (target.verification) {
    if (!txtRecords.includes(target.verification)) {
      newTxt.push(target.verification)
      companionWhy.push(`adds the domain-verification TXT ${target.verification}`)
    }
    handled.push({code: 'TARGET_VERIFICATION_MISSING', step: 'publish-companions'})
  } else if (target.profile.verificationPrefix && !txtRecords.some((t) => t.startsWith(target.profile.verificationPrefix ?? ''))) {
    notes.push(`No ${target.profile.verificationPrefix}… verification TXT is published or configured: set target.verification to the value the admin center shows, or verify the domain another way before the swap.`)
  }
  if (newTxt.length !== txtRecords.length || newTxt.some((t, i) => t !== txtRecords[i])) {
    touch(domain, 'TXT')
    companions.push({
      name: domain,
      type: 'TXT',
      before: apexTxt ? rrsetJson(apexTxt) : null,
      after: {name: domain, type: 'TXT', ttl: apexTxt?.ttl ?? swapTtl, records: newTxt},
    })
  }
  if (target.autodiscover) {
    const ad = target.autodiscover
    const cname = get(ad.name, 'CNAME')
    const other = get(ad.name, 'A') ?? get(ad.name, 'AAAA')
    if (cname && sameData(cname, {type: 'CNAME', records: [ad.value]})) {
      // already in place
    } else if (other) {
      notes.push(`${ad.name} has address records, so the CNAME to ${ad.value} cannot be added beside them; replace them when mailboxes move (Outlook finds its server there).`)
    } else if (cname) {
      notes.push(`${ad.name} is a CNAME to ${String(cname.records[0])} today: the swap step points it at ${ad.value} in the same update as the MX, so Outlook follows the mailboxes.`)
    } else {
      touch(ad.name, 'CNAME')
      companions.push({name: ad.name, type: 'CNAME', before: null, after: {name: ad.name, type: 'CNAME', ttl: apexTxt?.ttl ?? 3600, records: [ad.value]}})
      companionWhy.push(`creates ${ad.name} CNAME ${ad.value}`)
      handled.push({code: 'AUTODISCOVER_MISSING', step: 'publish-companions'})
    }
  }
  for (const d of target.dkim) {
    const current = get(d.name, d.type)
    if (current && sameData(current, {type: d.type, records: [d.value]})) continue
    if (current) {
      notes.push(`${d.name} ${d.type} already holds another value (${String(current.records[0]).slice(0, 60)}), probably the source's key: left alone; change it after the cutover if the target signs with this selector.`)
      continue
    }
    touch(d.name, d.type)
    companions.push({name: d.name, type: d.type, before: null, after: {name: d.name, type: d.type, ttl: 3600, records: [d.value]}})
    companionWhy.push(`creates the DKIM ${d.type} ${d.name}`)
    handled.push({code: 'DKIM_TARGET_MISSING', step: 'publish-companions'})
  }
  if (target.dkimMissing) notes.push(`DKIM is not in this plan: ${target.dkimMissing}.`)

  // MTA-STS (RFC 8461 §8.3): the policy body first, then a new id in the TXT; senders follow once the TXT's TTL has passed.
  const mtaStsName = `_mta-sts.${domain}`
  const mtaSts = get(mtaStsName, 'TXT')
  const stsFinding = observed.findings.find((f) => f.code === 'MTA_STS_POLICY_MX_MISMATCH' || f.code === 'MTA_STS_POLICY_UNREACHABLE')
  const stsNeedsUpdate = mtaSts !== null && (stsFinding !== undefined || !observed.audited)
  const stsRecord = mtaSts ? (mtaSts.records.map(String).find((t) => /^v=STSv1/i.test(t)) ?? null) : null
  if (stsNeedsUpdate && mtaSts && stsRecord) {
    const id = mtaStsId(now)
    const bumped = /\bid=[^;\s]*/i.test(stsRecord) ? stsRecord.replace(/\bid=[^;\s]*/i, `id=${id}`) : `${stsRecord.replace(/;?\s*$/, '')}; id=${id}`
    touch(mtaStsName, 'TXT')
    companions.push({name: mtaStsName, type: 'TXT', before: rrsetJson(mtaSts), after: {...rrsetJson(mtaSts), records: mtaSts.records.map((r) => (String(r) === stsRecord ? bumped : String(r)))}})
    companionWhy.push(`gives the MTA-STS TXT a new policy id (${id}) so senders fetch the updated policy (RFC 8461 §8.3)`)
    handled.push({code: 'MTA_STS_POLICY_MX_MISMATCH', step: 'update-mta-sts-policy'}, {code: 'MTA_STS_POLICY_UNREACHABLE', step: 'update-mta-sts-policy'})
  }

  // 3. The steps.
  const steps: Step[] = []
  const add = (s: Omit<Step, 'status'>) => steps.push({status: 'pending', ...s})
  add({
    id: 'preflight',
    kind: 'audit',
    title: 'Pre-flight audit',
    why: 'Runs the audit again at run time: findings of severity error stop the plan before any change.',
  })
  if (stsNeedsUpdate && stsRecord) {
    const hosts = [...new Set([...oldRecords, ...targetMx].map((m) => m.exchange).filter((x) => x !== '.'))]
    add({
      id: 'update-mta-sts-policy',
      kind: 'checkpoint',
      title: 'Publish an MTA-STS policy that allows both the current and the target MX hosts',
      why: `${stsFinding ? stsFinding.message + ' ' : `${domain} publishes MTA-STS and no audit checked the policy. `}Publish at https://mta-sts.${domain}/.well-known/mta-sts.txt a policy (same mode) whose mx: lines cover ${hosts.join(', ')}; senders that cached the old policy would refuse the new MX hosts. The HTTPS body changes before the TXT id (RFC 8461 §8.3).`,
    })
  }
  let companionRule: Step['waitFor'] = []
  if (companions.length > 0) {
    const created = companions.filter((c) => c.before === null)
    const changed = companions.filter((c) => c.before !== null)
    const cacheSeconds = Math.max(created.length > 0 ? (neg ?? 0) : 0, ...changed.map((c) => c.before?.ttl ?? 0))
    const parts = [
      created.length > 0 ? `${created.map((c) => c.name).join(', ')} did not exist, and resolvers cache "no such record" for ${neg ?? '?'} s (RFC 2308: min(SOA MINIMUM, SOA TTL))` : '',
      changed.length > 0 ? `${changed.map((c) => `${c.name} ${c.type}`).join(', ')} ${changed.length > 1 ? 'are' : 'is'} cached for up to ${Math.max(...changed.map((c) => c.before?.ttl ?? 0))} s` : '',
    ].filter(Boolean)
    companionRule = [{after: 'publish-companions', seconds: cacheSeconds + margin, reason: `${parts.join('; ')}; plus ${margin} s margin`}]
    add({
      id: 'publish-companions',
      kind: 'dns-change',
      title: 'Publish the records the target needs beside MX',
      why: `${capitalize(companionWhy.join('; '))}. Published now so every cache has them (negative answers included) before the swap.`,
      changes: companions,
    })
  } else {
    notes.push('Every record the target needs beside MX is already published: no publish-companions step.')
  }
  const lowerNeeded = oldTtl !== null && oldTtl > lowered
  if (oldMx && lowerNeeded) {
    touch(domain, 'MX')
    add({
      id: 'lower-ttl',
      kind: 'dns-change',
      title: `Lower the MX TTL from ${oldTtl} s to ${lowered} s`,
      why: `Same MX data, shorter TTL, so the swap reaches every resolver within ${formatDuration(lowered)} and a rollback is as fast.`,
      changes: [{name: domain, type: 'MX', before: mx(oldRecords, oldTtl ?? lowered), after: mx(oldRecords, lowered)}],
    })
  } else if (oldTtl !== null) {
    notes.push(`The MX TTL is ${oldTtl} s, already at or below ${lowered} s: no TTL lowering needed.`)
  } else {
    notes.push(`${domain} has no MX today${observed.soa ? `: resolvers may keep the cached "no MX" answer for up to ${neg} s (RFC 2308) after the swap, and deliver to the domain's address records meanwhile` : ''}.`)
  }
  const waitRules: NonNullable<Step['waitFor']> = [
    ...(lowerNeeded && oldMx
      ? [{after: 'lower-ttl', seconds: (oldTtl ?? 0) + margin, reason: `resolvers that fetched the MX RRset just before the TTL was lowered keep it for the old TTL of ${oldTtl} s (${formatDuration(oldTtl ?? 0)}, the largest any authoritative server served), plus ${margin} s margin`}]
      : []),
    ...companionRule,
  ]
  const dane = observed.findings.find((f) => f.code === 'DANE_TLSA_SOURCE_ONLY')
  const addDane = () => {
    if (!dane) return
    add({
      id: 'acknowledge-dane',
      kind: 'checkpoint',
      title: 'Accept that the target MX hosts have no DANE TLSA records',
      why: `${dane.message} After the swap, senders that enforce DANE fall back to opportunistic TLS for ${domain}.${target.profile.id === 'microsoft365' ? ' Microsoft 365 offers DANE inbound on its *.mx.microsoft hosts (DNSSEC-signed): use that MX value in target.mx to keep it.' : ''}`,
    })
    handled.push({code: 'DANE_TLSA_SOURCE_ONLY', step: 'acknowledge-dane'})
  }
  const waitStep = (id: string) => {
    if (waitRules.length === 0) return
    const longest = [...waitRules].sort((a, b) => b.seconds - a.seconds)[0]
    add({
      id,
      kind: 'wait',
      title: `Wait until every cache holds at most the lowered TTL (${formatDuration(longest.seconds)} after ${longest.after})`,
      why: 'The swap must not happen while any cache could still hold what the earlier steps replaced. Each wait counts from when every authoritative server serves that step\'s change, never from a resolver\'s decremented TTL; the latest one decides.',
      waitFor: waitRules,
    })
    handled.push({code: 'MX_TTL_HIGH', step: id})
  }
  const swapChanges = (before: MxRecord[], after: MxRecord[]): RRsetChange[] => {
    const changes: RRsetChange[] = [{name: domain, type: 'MX', before: before.length > 0 ? mx(before, swapTtl) : null, after: mx(after, swapTtl)}]
    const ad = target.autodiscover
    const cname = ad ? get(ad.name, 'CNAME') : null
    if (ad && cname && !sameData(cname, {type: 'CNAME', records: [ad.value]}) && !get(ad.name, 'A')) {
      touch(ad.name, 'CNAME')
      changes.push({name: ad.name, type: 'CNAME', before: rrsetJson(cname), after: {...rrsetJson(cname), records: [ad.value]}})
    }
    return changes
  }
  touch(domain, 'MX')
  const swapWhy = (what: string) =>
    `${what}${nullMx ? ' The null MX (RFC 7505) is replaced in the same update, so there is no moment without it or with both.' : ''}`

  const restore = (currentTtl: number, records: MxRecord[], after: string) => {
    if (finalTtl === currentTtl) return
    add({
      id: 'restore-ttl',
      kind: 'dns-change',
      title: `Raise the MX TTL from ${currentTtl} s to ${finalTtl} s`,
      why: `Back to ${config.ttl.final !== undefined ? 'ttl.final from the config' : oldTtl !== null ? 'the TTL the MX had before the cutover' : 'a usual MX TTL'}, once ${after}: until then a rollback stays fast.`,
      changes: [{name: domain, type: 'MX', before: mx(records, currentTtl), after: mx(records, finalTtl)}],
    })
  }

  if (config.strategy === 'replace') {
    if (lowerNeeded) waitStep('wait-old-ttl')
    else waitStep('wait-companions')
    addDane()
    add({
      id: 'confirm-swap',
      kind: 'checkpoint',
      title: 'Confirm the swap',
      why: `Shows the exact change: MX ${mxLines(oldRecords)} → ${mxLines(targetMx)}. Abort, pause, or go.`,
    })
    add({
      id: 'swap-mx',
      kind: 'dns-change',
      title: `Replace the MX RRset with the target's (${mxLines(targetMx)})`,
      why: swapWhy(`The whole MX RRset is replaced in one update at TTL ${swapTtl} s, so no resolver ever sees a mix the plan did not intend.`),
      changes: swapChanges(oldRecords, targetMx),
    })
    add({
      id: 'verify-propagation',
      kind: 'verify',
      title: 'Verify the new MX on every authoritative server, then on the resolvers',
      why: `Converged when every authoritative server serves the new RRset (same SOA serial) and every resolver answers it; resolvers that cached the old RRset drop it within ${formatDuration(swapTtl)}.`,
      expectMx: targetMx,
    })
    add({
      id: 'confirm-mail-flow',
      kind: 'checkpoint',
      title: 'Confirm that mail arrives at the target',
      why: 'Send test messages from outside (and check the message trace of the target). If mail does not arrive, roll back: the original MX returns within the lowered TTL.',
    })
    restore(swapTtl, targetMx, 'mail flow is confirmed')
  } else {
    // Staged (Microsoft's sequence): target added as backup, probed, promoted, then the source removed.
    const sourceMax = Math.max(0, ...oldRecords.filter((m) => m.exchange !== '.').map((m) => m.priority))
    const targetMin = Math.min(...targetMx.map((m) => m.priority))
    const targetMax = Math.max(...targetMx.map((m) => m.priority))
    const backupBase = Math.min(65535 - (targetMax - targetMin), sourceMax + 10)
    const backup = targetMx.map((m) => ({priority: backupBase + (m.priority - targetMin), exchange: m.exchange}))
    const sourceMx = oldRecords.filter((m) => m.exchange !== '.')
    const sourceMin = Math.min(...sourceMx.map((m) => m.priority))
    const demoted = sourceMx.map((m) => ({priority: Math.min(65535, targetMax + 10 + (m.priority - sourceMin)), exchange: m.exchange}))
    const staged = mxJson([...sourceMx, ...backup])
    const promoted = mxJson([...targetMx, ...demoted])
    const setTtl = swapTtl
    if (sourceMx.length === 0 || targetMx.length === 0) {
      block('STAGED_NEEDS_SOURCE_MX', `${domain} MX`, `the staged strategy keeps the source MX beside the target's, but ${domain} has ${nullMx ? 'a null MX' : 'no MX'} today; use strategy: replace`)
    } else {
    add({
      id: 'add-target-backup',
      kind: 'dns-change',
      title: `Add the target MX as a backup (priority ${backup.map((m) => m.priority).join(', ')})`,
      why: `Senders keep using ${mxLines(sourceMx)} (lower priority wins); the target's hosts appear as backups, so they can be probed from outside while nothing depends on them.`,
      changes: [{name: domain, type: 'MX', before: mx(oldRecords, swapTtl), after: mx(staged, setTtl)}],
    })
    add({id: 'verify-backup', kind: 'verify', title: 'Verify the backup MX everywhere', why: 'The target appears on every authoritative server and resolver before it is probed.', expectMx: staged})
    add({
      id: 'probe-target',
      kind: 'audit',
      title: 'Probe the target MX',
      why: `The audit runs again with the SMTP probe: the target's hosts must accept RCPT TO:<postmaster@${domain}> before they become primary.`,
    })
    waitStep('wait-old-ttl')
    addDane()
    add({
      id: 'confirm-promote',
      kind: 'checkpoint',
      title: 'Confirm the promotion',
      why: `Shows the exact change: MX ${mxLines(staged)} → ${mxLines(promoted)}. Abort, pause, or go.`,
    })
    add({
      id: 'promote-target',
      kind: 'dns-change',
      title: 'Promote the target MX and demote the source',
      why: swapWhy(`In one update: the target's hosts take their own priority, the source's move behind them (${mxLines(demoted)}) and still catch mail if the target refuses it.`),
      changes: [{name: domain, type: 'MX', before: mx(staged, setTtl), after: mx(promoted, setTtl)}],
    })
    add({id: 'verify-propagation', kind: 'verify', title: 'Verify the promoted MX everywhere', why: `Resolvers that cached the previous RRset drop it within ${formatDuration(setTtl)}.`, expectMx: promoted})
    add({
      id: 'confirm-mail-flow',
      kind: 'checkpoint',
      title: 'Confirm that mail arrives at the target',
      why: 'Send test messages from outside. If mail does not arrive, roll back: the original MX returns within the lowered TTL.',
    })
    const removeChanges = swapChanges(promoted, targetMx)
    removeChanges[0] = {name: domain, type: 'MX', before: mx(promoted, setTtl), after: mx(targetMx, setTtl)}
    add({id: 'remove-source', kind: 'dns-change', title: 'Remove the source MX', why: 'The target is the only MX; the source keeps running until caches holding it have expired.', changes: removeChanges})
    add({id: 'verify-removal', kind: 'verify', title: 'Verify that only the target MX remains', why: `Within ${formatDuration(setTtl)} every resolver answers the target alone.`, expectMx: targetMx})
    restore(setTtl, targetMx, 'the source is removed')
    }
  }

  // Cleanup after the soak: the retired provider's SPF include.
  const spfNow = mergedSpf ?? spfRecords[0] ?? null
  if (config.cleanup.enabled && source.spfInclude && spfNow && source.spfInclude !== target.spfInclude) {
    const without = spfWithoutInclude(spfNow, source.spfInclude)
    if (without) {
      const beforeTxt = companions.find((c) => c.type === 'TXT' && c.name === domain)?.after ?? (apexTxt ? rrsetJson(apexTxt) : null)
      if (beforeTxt) {
        touch(domain, 'TXT')
        add({
          id: 'soak',
          kind: 'wait',
          title: `Soak for ${formatDuration(config.cleanup.soak)}`,
          why: 'Mail still queued at senders for the old hosts, and mail the source still sends, keeps passing SPF meanwhile.',
          optional: true,
          waitFor: [{after: 'confirm-mail-flow', seconds: config.cleanup.soak, reason: `cleanup.soak of ${formatDuration(config.cleanup.soak)} after the mail flow was confirmed`}],
        })
        add({
          id: 'cleanup',
          kind: 'dns-change',
          title: `Drop include:${source.spfInclude} from SPF`,
          why: `The source (${source.profile?.name ?? source.spfInclude}) no longer sends for ${domain}; one lookup fewer in SPF.${stsNeedsUpdate ? ' Also remove the source hosts from the MTA-STS policy and give the TXT a new id.' : ''}`,
          optional: true,
          changes: [{name: domain, type: 'TXT', before: beforeTxt, after: {...beforeTxt, records: beforeTxt.records.map((r) => (r === spfNow ? without : r))}}],
        })
      }
    }
  }

  // Each step names the findings it takes care of, whether or not the audit saw them today:
  // the pre-flight audits again at run time and must not stop on what a later step fixes.
  for (const h of handled) {
    const step = steps.find((s) => s.id === h.step)
    if (step && !step.handles?.includes(h.code)) step.handles = [...(step.handles ?? []), h.code]
  }

  // Estimated times for the review: the run starting now, every wait running out exactly.
  const schedule = estimateSchedule(steps, now)
  for (const s of steps) s.estimatedStart = schedule.find((x) => x.id === s.id)?.start.toISOString()

  // Rollback: the original MX back at the lowered TTL, verified, then the original TTL.
  const rollback: CutoverPlan['rollback'] = []
  const changedMx = steps.filter((s) => s.kind === 'dns-change' && s.changes?.some((c) => c.type === 'MX' && c.name === domain && c.before && c.after && !sameData(c.before, c.after)))
  if (changedMx.length > 0) {
    const last = changedMx[changedMx.length - 1].changes?.find((c) => c.type === 'MX')?.after ?? null
    rollback.push({
      title: 'Restore the original MX RRset at the lowered TTL',
      why: `Undoes ${changedMx.map((s) => s.id).join(', ')} in one update (mxcut rollback PLAN). Resolvers that cached the target MX keep delivering there for up to ${swapTtl} s: keep the target accepting mail meanwhile.`,
      changes: [{name: domain, type: 'MX', before: last, after: oldMx ? mx(oldRecords, swapTtl) : null}],
    })
    rollback.push({title: 'Verify the original MX everywhere', why: 'Every authoritative server, then every resolver.', changes: []})
    if (oldMx && oldTtl !== null && oldTtl !== swapTtl) {
      rollback.push({title: `Restore the MX TTL to ${oldTtl} s`, why: 'Back to the state before the plan.', changes: [{name: domain, type: 'MX', before: mx(oldRecords, swapTtl), after: mx(oldRecords, oldTtl)}]})
    }
  }
  if (companions.length > 0) {
    rollback.push({
      title: 'Optionally withdraw the companion records',
      why: 'Harmless to keep (verification, SPF include, autodiscover); withdraw them only if the move to the target is abandoned.',
      changes: companions.map((c) => ({name: c.name, type: c.type, before: c.after, after: c.before})),
    })
  }

  const ns = observed.nameservers.map((n) => ({name: n.name, address: n.address, port: n.port, serial: n.serial}))
  return {
    domain,
    zone: observed.zone,
    strategy: config.strategy,
    createdAt: now.toISOString(),
    target: {profile: target.profile.id, mx: targetMx, spfInclude: target.spfInclude, verification: target.verification},
    source: {profile: source.profile?.id ?? null, detected: source.detected},
    observed: {
      mx: {ttl: oldTtl, records: oldRecords},
      soa: observed.soa ? {...observed.soa} : null,
      nameservers: ns,
      rrsets: [...touched.values()],
      at: observed.at,
    },
    findings: observed.findings,
    handled: dedupeHandled(handled, observed.findings),
    blockers,
    notes,
    steps,
    rollback,
    ttl: {old: oldTtl, lowered, swap: swapTtl, final: finalTtl, negative: neg, margin},
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function dedupeHandled(handled: CutoverPlan['handled'], findings: readonly Finding[]): CutoverPlan['handled'] {
  const seen = new Set<string>()
  return handled.filter((h) => {
    if (seen.has(h.code) || !findings.some((f) => f.code === h.code)) return false
    seen.add(h.code)
    return true
  })
}

export type {ResolvedTarget}
