import {domainToASCII} from 'node:url'
import {bounded} from '../lib/bounded.js'
import {UserError} from '../lib/errors.js'

/** Lower-case, no trailing dot: the one form names are compared in. */
export function canonicalName(name: string): string {
  const n = name.trim().toLowerCase()
  return n.endsWith('.') && n !== '.' ? n.slice(0, -1) : n
}

export function sameName(a: string, b: string): boolean {
  return canonicalName(a) === canonicalName(b)
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * Parses a domain typed by a user: IDN converted to A-labels (UTS #46 via
 * node:url), then checked as a host name (RFC 1123 labels, 253 octets).
 * Throws a UserError naming the problem.
 */
export function parseDomain(input: string, what = 'domain'): string {
  const raw = input.trim().replace(/\.$/, '')
  if (raw === '') throw new UserError(`${what} is empty: give a domain such as contoso.com`)
  if (/\.\./.test(raw) || raw.startsWith('.')) {
    throw new UserError(`${what} '${bounded(input)}' has an empty label (two dots in a row); give a domain such as contoso.com`)
  }
  const ascii = domainToASCII(raw)
  if (ascii === '') throw new UserError(`${what} '${bounded(input)}' is not a valid domain name; give a domain such as contoso.com`)
  const name = canonicalName(ascii)
  if (name.length > 253) throw new UserError(`${what} '${bounded(input)}' is longer than 253 characters`)
  const labels = name.split('.')
  if (labels.length < 2) throw new UserError(`${what} '${bounded(input)}' has a single label; give a full domain such as contoso.com`)
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw new UserError(
        `${what} '${bounded(input)}' has an invalid label '${bounded(label, 80)}': letters, digits and inner hyphens only, 1 to 63 characters`,
      )
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1])) {
    throw new UserError(`${what} '${bounded(input)}' looks like an IP address, not a domain`)
  }
  return name
}

/** The name relative to a zone apex ('@' for the apex itself), as DNS consoles show it. */
export function relativeName(name: string, zone: string): string {
  const n = canonicalName(name)
  const z = canonicalName(zone)
  if (n === z) return '@'
  if (n.endsWith('.' + z)) return n.slice(0, -(z.length + 1))
  return n + '.'
}

/** True when name is the zone apex or below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = canonicalName(name)
  const z = canonicalName(zone)
  return n === z || n.endsWith('.' + z)
}
