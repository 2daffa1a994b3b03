import type {Answer} from 'dns-packet'
import {keyTag, rrsetWithSignatures, rrsigPeriod, verifyRrsig, type DnskeyData, type RrsigData} from '../dns/dnssec.js'

/**
 * What one authoritative server served for one question, kept with its
 * signatures so mxcut can tell a signed answer from an unsigned or broken
 * one: on a signed zone a change is done only when every server serves it
 * signed, and an RRSIG about to expire is a finding.
 */

export interface SignedRRset {
  name: string
  type: string
  /** The records as dns-packet decoded them (what the signature covers). */
  records: unknown[]
  sigs: RrsigData[]
}

export interface SignedAnswer {
  /** The RRset asked for (empty records for a negative answer). */
  rrset: SignedRRset
  /** A negative answer's proof: the NSEC/NSEC3 RRsets and the SOA of the authority section. */
  denial: SignedRRset[]
}

export type SignatureState = 'signed' | 'unsigned' | 'bad-signature' | 'expired' | 'not-yet-valid'

export interface SignatureCheck {
  state: SignatureState
  /** Seconds since the epoch when the earliest signature that vouches for the answer expires. */
  expiresAt: number | null
  /** Why it is not signed, in words, for messages. */
  detail: string
}

export function signedAnswer(raw: {answers: Answer[]; authorities: Answer[]}, name: string, type: string): SignedAnswer {
  const rrset = {name, type, ...pick(raw.answers, name, type)}
  const denial: SignedRRset[] = []
  if (rrset.records.length === 0) {
    const seen = new Set<string>()
    for (const a of raw.authorities) {
      if (a.type !== 'NSEC' && a.type !== 'NSEC3' && a.type !== 'SOA') continue
      const key = `${a.name} ${a.type}`
      if (seen.has(key)) continue
      seen.add(key)
      denial.push({name: a.name, type: a.type, ...pick(raw.authorities, a.name, a.type)})
    }
  }
  return {rrset, denial}
}

function pick(list: Answer[], name: string, type: string): {records: unknown[]; sigs: RrsigData[]} {
  const {records, sigs} = rrsetWithSignatures(list, name, type)
  return {records, sigs}
}

/** One RRset against the zone's keys: signed when one RRSIG verifies and is within its validity period. */
export function checkRRset(set: SignedRRset, keys: readonly DnskeyData[], nowSeconds: number): SignatureCheck {
  if (set.sigs.length === 0) return {state: 'unsigned', expiresAt: null, detail: `${set.name} ${set.type} has no RRSIG`}
  let verified: RrsigData | null = null
  for (const sig of set.sigs) {
    const key = keys.find((k) => k.algorithm === sig.algorithm && keyTag(k) === sig.keyTag)
    if (!key || !verifyRrsig(set.name, set.type, set.records, sig, key)) continue
    if (rrsigPeriod(sig, nowSeconds) === 'valid') return {state: 'signed', expiresAt: sig.expiration, detail: 'signed'}
    verified = sig
  }
  if (verified) {
    const period = rrsigPeriod(verified, nowSeconds)
    return {state: period === 'expired' ? 'expired' : 'not-yet-valid', expiresAt: verified.expiration, detail: `the RRSIG of ${set.name} ${set.type} ${period === 'expired' ? 'expired' : 'is not valid yet'} (${new Date((period === 'expired' ? verified.expiration : verified.inception) * 1000).toISOString()})`}
  }
  const tags = set.sigs.map((s) => s.keyTag).join(', ')
  return {state: 'bad-signature', expiresAt: null, detail: `no RRSIG of ${set.name} ${set.type} (key tags ${tags}) verifies with a DNSKEY of the zone`}
}

const RANK: Record<SignatureState, number> = {signed: 0, 'not-yet-valid': 1, expired: 2, unsigned: 3, 'bad-signature': 4}

/** A whole answer: the RRset, or every RRset of the denial; the worst one decides. */
export function checkAnswer(answer: SignedAnswer, keys: readonly DnskeyData[], nowSeconds: number): SignatureCheck {
  const sets = answer.rrset.records.length > 0 ? [answer.rrset] : answer.denial
  if (sets.length === 0) return {state: 'unsigned', expiresAt: null, detail: `the negative answer for ${answer.rrset.name} ${answer.rrset.type} carries no NSEC/NSEC3 proof`}
  if (answer.rrset.records.length === 0 && !sets.some((s) => s.type === 'NSEC' || s.type === 'NSEC3')) {
    return {state: 'unsigned', expiresAt: null, detail: `the negative answer for ${answer.rrset.name} ${answer.rrset.type} carries no NSEC/NSEC3 proof`}
  }
  const checks = sets.map((s) => checkRRset(s, keys, nowSeconds))
  const worst = checks.reduce((a, b) => (RANK[b.state] > RANK[a.state] ? b : a))
  if (worst.state !== 'signed') return worst
  const expiries = checks.map((c) => c.expiresAt).filter((e): e is number => e !== null)
  return {state: 'signed', expiresAt: expiries.length ? Math.min(...expiries) : null, detail: 'signed'}
}

/** The keys of a DNSKEY RRset as served, when its own signature verifies with one of them. */
export function zoneKeys(set: SignedRRset | undefined, nowSeconds: number): {keys: DnskeyData[]; check: SignatureCheck | null} {
  const keys = (set?.records ?? []) as DnskeyData[]
  if (!set || keys.length === 0) return {keys: [], check: null}
  return {keys, check: checkRRset(set, keys, nowSeconds)}
}
