import {isIPv4, isIPv6} from 'node:net'

/**
 * SPF records (RFC 7208 §4.6, §5, §6, §7) parsed into terms. No npm parser
 * we looked at is both maintained and separable from evaluation against a
 * sender IP, and the audit needs the terms themselves: which ones query DNS,
 * and where include/redirect lead.
 */

export type Qualifier = '+' | '-' | '~' | '?'
export type MechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists'

export interface Mechanism {
  kind: 'mechanism'
  qualifier: Qualifier
  name: MechanismName
  /** domain-spec (may hold macros); absent for all/ip4/ip6 and for a/mx/ptr without one. */
  domain?: string
  /** ip4/ip6 network. */
  network?: string
  cidr4?: number
  cidr6?: number
  text: string
}

export interface Modifier {
  kind: 'modifier'
  name: string
  value: string
  text: string
}

export type SpfTerm = Mechanism | Modifier

export interface SpfRecord {
  text: string
  terms: SpfTerm[]
  /** redirect= target, if any (at most one, §6). */
  redirect?: string
  exp?: string
}

export type SpfParse = {ok: true; record: SpfRecord} | {ok: false; error: string}

/** A TXT string is an SPF record when it starts with "v=spf1" followed by a space or nothing (§4.5). */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1( |$)/i.test(txt)
}

const MECHANISMS = new Set<MechanismName>(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists'])
/** Terms whose evaluation queries DNS and so count toward the limit of 10 (§4.6.4). */
export const DNS_MECHANISMS = new Set<MechanismName>(['include', 'a', 'mx', 'ptr', 'exists'])

const MACRO_LETTERS = 'slodiphcrtv'
const DELIMITERS = '.-+,/_='

/** macro-string (§7.1): literals %x21-24 / %x26-7E, or %{…}, %%, %_, %-. Returns an error text or null. */
export function checkMacroString(value: string, explanation = false): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    const code = c.charCodeAt(0)
    if (c === '%') {
      const next = value[i + 1]
      if (next === '%' || next === '_' || next === '-') {
        i += 1
        continue
      }
      if (next !== '{') return `'%' must be followed by {, %, _ or - (found '${next ?? 'end of term'}')`
      const close = value.indexOf('}', i + 2)
      if (close < 0) return `unterminated macro '${value.slice(i)}'`
      const body = value.slice(i + 2, close)
      const m = /^([a-z])(\d*)(r?)(.*)$/i.exec(body)
      if (!m) return `empty macro '%{}'`
      const letter = m[1].toLowerCase()
      // c, r and t are only allowed in exp= explanation strings (§7.2).
      const allowed = explanation ? MACRO_LETTERS : 'slodiphv'
      if (!allowed.includes(letter)) return `macro letter '${m[1]}' is not allowed here`
      if (m[2] !== '' && Number(m[2]) === 0) return `macro '%{${body}}' keeps 0 labels`
      if (m[2].length > 3) return `macro '%{${body}}' has an absurd label count`
      for (const d of m[4]) if (!DELIMITERS.includes(d)) return `macro '%{${body}}' has an invalid delimiter '${d}'`
      i = close
      continue
    }
    if (code < 0x21 || code > 0x7e) return `character ${JSON.stringify(c)} is not allowed in a domain-spec`
  }
  return null
}

/** domain-spec (§7.1): a macro-string ending in a macro or in a top label that is not all digits. */
export function checkDomainSpec(spec: string): string | null {
  if (spec === '') return 'empty domain'
  const macro = checkMacroString(spec)
  if (macro) return macro
  if (/%\{[^}]*\}$/.test(spec)) return null
  const labels = spec.replace(/\.$/, '').split('.')
  const top = labels[labels.length - 1]
  if (labels.length < 2) return `'${spec}' is not a fully qualified domain`
  if (labels.some((l) => l === '')) return `'${spec}' has an empty label`
  // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
  if (!/^[a-z0-9]*[a-z][a-z0-9]*$/i.test(top) && !/^[a-z0-9]+-[a-z0-9-]*[a-z0-9]$/i.test(top)) {
    return `'${spec}' does not end in a valid top-level label`
  }
  if (labels.some((l) => l.length > 63)) return `'${spec}' has a label longer than 63 characters`
  return null
}

function parseCidr(text: string, max: number, what: string): number {
  if (!/^(0|[1-9]\d{0,2})$/.test(text) || Number(text) > max) throw new SpfSyntax(`${what} prefix length '/${text}' must be 0 to ${max}`)
  return Number(text)
}

class SpfSyntax extends Error {}

/** Splits "domain/24//64" into the domain-spec and the dual-cidr-length (§5.6). */
function splitDualCidr(arg: string): {spec: string; cidr4?: number; cidr6?: number} {
  const m = /^(.*?)(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(arg)
  if (!m) return {spec: arg}
  const out: {spec: string; cidr4?: number; cidr6?: number} = {spec: m[1]}
  if (m[2] !== undefined) out.cidr4 = parseCidr(m[2], 32, 'IPv4')
  if (m[3] !== undefined) out.cidr6 = parseCidr(m[3], 128, 'IPv6')
  return out
}

function parseMechanism(term: string): Mechanism {
  let qualifier: Qualifier = '+'
  let rest = term
  if ('+-~?'.includes(rest[0])) {
    qualifier = rest[0] as Qualifier
    rest = rest.slice(1)
  }
  const m = /^([a-z0-9]+)(?:([:/])(.*))?$/i.exec(rest)
  if (!m) throw new SpfSyntax(`'${term}' is not a mechanism`)
  const name = m[1].toLowerCase() as MechanismName
  if (!MECHANISMS.has(name)) throw new SpfSyntax(`unknown mechanism '${m[1]}' in '${term}'`)
  const sep = m[2]
  const arg = m[3]
  const base: Mechanism = {kind: 'mechanism', qualifier, name, text: term}
  const needDomain = (spec: string) => {
    const err = checkDomainSpec(spec)
    if (err) throw new SpfSyntax(`${name}: ${err} in '${term}'`)
  }
  switch (name) {
    case 'all':
      if (sep !== undefined) throw new SpfSyntax(`'all' takes no argument ('${term}')`)
      return base
    case 'include':
    case 'exists':
      if (sep !== ':' || !arg) throw new SpfSyntax(`'${name}' needs a domain: ${name}:example.com ('${term}')`)
      needDomain(arg)
      return {...base, domain: arg}
    case 'ptr':
      if (sep === '/') throw new SpfSyntax(`'ptr' takes no prefix length ('${term}')`)
      if (sep === ':') {
        if (!arg) throw new SpfSyntax(`'ptr:' needs a domain ('${term}')`)
        needDomain(arg)
        return {...base, domain: arg}
      }
      return base
    case 'a':
    case 'mx': {
      if (sep === undefined) return base
      const {spec, cidr4, cidr6} = splitDualCidr(sep === '/' ? `/${arg ?? ''}` : (arg ?? ''))
      if (sep === ':') {
        if (!spec) throw new SpfSyntax(`'${name}:' needs a domain ('${term}')`)
        needDomain(spec)
      } else if (spec !== '') {
        throw new SpfSyntax(`bad prefix length in '${term}'`)
      }
      return {...base, ...(spec ? {domain: spec} : {}), ...(cidr4 !== undefined ? {cidr4} : {}), ...(cidr6 !== undefined ? {cidr6} : {})}
    }
    case 'ip4': {
      if (sep !== ':' || !arg) throw new SpfSyntax(`'ip4' needs an address: ip4:192.0.2.0/24 ('${term}')`)
      const [network, cidr, extra] = arg.split('/')
      if (extra !== undefined) throw new SpfSyntax(`bad prefix length in '${term}'`)
      if (!isIPv4(network)) throw new SpfSyntax(`'${network}' is not an IPv4 address ('${term}')`)
      return {...base, network, ...(cidr !== undefined ? {cidr4: parseCidr(cidr, 32, 'IPv4')} : {})}
    }
    case 'ip6': {
      if (sep !== ':' || !arg) throw new SpfSyntax(`'ip6' needs an address: ip6:2001:db8::/32 ('${term}')`)
      const slash = arg.lastIndexOf('/')
      const network = slash >= 0 ? arg.slice(0, slash) : arg
      if (!isIPv6(network)) throw new SpfSyntax(`'${network}' is not an IPv6 address ('${term}')`)
      return {...base, network, ...(slash >= 0 ? {cidr6: parseCidr(arg.slice(slash + 1), 128, 'IPv6')} : {})}
    }
  }
}

/** Parses one SPF record; errors are the permerror causes a receiver would hit, named. */
export function parseSpf(text: string): SpfParse {
  if (!isSpfRecord(text)) return {ok: false, error: `does not start with "v=spf1"`}
  const terms: SpfTerm[] = []
  let redirect: string | undefined
  let exp: string | undefined
  try {
    // Terms are separated by one or more spaces (SP only; §4.6.1 and §12).
    for (const term of text.slice(6).split(' ').filter((t) => t !== '')) {
      const mod = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term)
      if (mod) {
        const name = mod[1].toLowerCase()
        const value = mod[2]
        if (name === 'redirect' || name === 'exp') {
          if ((name === 'redirect' ? redirect : exp) !== undefined) throw new SpfSyntax(`'${name}=' appears more than once`)
          const err = checkDomainSpec(value)
          if (err) throw new SpfSyntax(`${name}: ${err} in '${term}'`)
          if (name === 'redirect') redirect = value
          else exp = value
        } else {
          const err = checkMacroString(value)
          if (err) throw new SpfSyntax(`${err} in '${term}'`)
        }
        terms.push({kind: 'modifier', name, value, text: term})
        continue
      }
      if (/[\t]/.test(term)) throw new SpfSyntax(`'${term}' holds a tab; terms are separated by spaces`)
      terms.push(parseMechanism(term))
    }
  } catch (err) {
    if (err instanceof SpfSyntax) return {ok: false, error: err.message}
    throw err
  }
  return {ok: true, record: {text, terms, ...(redirect !== undefined ? {redirect} : {}), ...(exp !== undefined ? {exp} : {})}}
}

export function hasMacro(spec: string): boolean {
  return spec.includes('%')
}

export function mechanisms(record: SpfRecord): Mechanism[] {
  return record.terms.filter((t): t is Mechanism => t.kind === 'mechanism')
}

/** "redirect" is ignored when the record has an "all" mechanism (§6.1). */
export function effectiveRedirect(record: SpfRecord): string | undefined {
  return mechanisms(record).some((m) => m.name === 'all') ? undefined : record.redirect
}

/**
 * The mechanisms a receiver evaluates: those up to and including the first
 * "all". Mechanisms after it are never evaluated (RFC 7208 §5.1), so they
 * query nothing and count toward no limit.
 */
export function evaluatedMechanisms(record: SpfRecord): Mechanism[] {
  const all = mechanisms(record)
  const at = all.findIndex((m) => m.name === 'all')
  return at < 0 ? all : all.slice(0, at + 1)
}

/** Terms a receiver never uses: mechanisms after the first "all", and a redirect= beside an "all" (§5.1, §6.1). */
export function ignoredTerms(record: SpfRecord): string[] {
  const at = record.terms.findIndex((t) => t.kind === 'mechanism' && t.name === 'all')
  if (at < 0) return []
  return record.terms.filter((t, i) => (t.kind === 'mechanism' && i > at) || (t.kind === 'modifier' && t.name === 'redirect')).map((t) => t.text)
}

/** DNS-querying terms of this record alone, as evaluated: include, a, mx, ptr, exists before any "all", and an effective redirect. */
export function localLookupCount(record: SpfRecord): number {
  return evaluatedMechanisms(record).filter((m) => DNS_MECHANISMS.has(m.name)).length + (effectiveRedirect(record) ? 1 : 0)
}

/**
 * The record with "include:<domain>" added before its "all" (or its redirect,
 * or at the end): how the target provider is authorised without a second record.
 */
export function mergeInclude(record: SpfRecord, include: string): string {
  const words = record.text.split(' ').filter((w) => w !== '')
  const at = words.findIndex((w, i) => i > 0 && (/^[+\-~?]?all$/i.test(w) || /^redirect=/i.test(w)))
  const term = `include:${include}`
  if (at < 0) words.push(term)
  else words.splice(at, 0, term)
  return words.join(' ')
}
