import {UserError} from '../lib/errors.js'
import {bounded} from '../lib/bounded.js'
import {loadedProfiles} from './load.js'
import type {Profile} from './types.js'

export type {Profile, ProfileMx, ProfileDkim} from './types.js'
export {dashed, fillTemplate} from './template.js'

/** The order `mxcut profiles` and `init` list them in: the big two first, custom last. */
const FIRST = ['microsoft365', 'google-workspace']

export function allProfiles(): readonly Profile[] {
  const list = loadedProfiles()
  const rank = (p: Profile) => (FIRST.includes(p.id) ? FIRST.indexOf(p.id) : p.kind === 'custom' ? 1000 : 100)
  return [...list].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))
}

export function profileIds(): string[] {
  return allProfiles().map((p) => p.id)
}

export function getProfile(id: string): Profile {
  const key = id.trim().toLowerCase()
  const found = allProfiles().find((p) => p.id === key || p.aliases.includes(key))
  if (!found) throw new UserError(`unknown profile '${bounded(id)}': choose one of ${profileIds().join(', ')} (see: mxcut profiles)`)
  return found
}

/** The provider today's MX points at, or null when no profile recognises every exchange. */
export function detectProfile(exchanges: readonly string[]): Profile | null {
  const real = exchanges.filter((x) => x !== '.' && x !== '')
  if (real.length === 0) return null
  return allProfiles().find((p) => p.detect.mx.length > 0 && real.every((x) => p.matchesExchange(x))) ?? null
}

/** The profile whose provider runs the reverse DNS of this MX host (it recognises the host and says so), or null: a custom host whose PTR is checked. */
export function reverseDnsProvider(exchange: string, also?: Profile | null): Profile | null {
  if (also?.reverseDns === 'provider') return also
  return allProfiles().find((p) => p.reverseDns === 'provider' && p.matchesExchange(exchange)) ?? null
}
