import {UserError} from '../lib/errors.js'
import {bounded} from '../lib/bounded.js'
import {DEFAULT_RESOLVERS, parseResolvers, parseServer, type DnsServer, type ServerSpec} from './server.js'

export interface DnsFlagValues {
  resolver?: string[]
  nameserver?: string[]
  timeout: number
}

export interface DnsSettings {
  resolvers: ServerSpec[]
  nameservers: DnsServer[]
  timeoutMs: number
}

/**
 * Resolvers default to the public set only when neither --resolver nor
 * --nameserver was given: with --nameserver alone the user asked to stay on
 * those servers.
 */
export function dnsSettings(flags: DnsFlagValues, config: {resolvers?: string[]; nameservers?: string[]} = {}): DnsSettings {
  const nsInput = flags.nameserver ?? config.nameservers ?? []
  const nameservers = nsInput.map((s) => {
    const parsed = parseServer(s, 'name server')
    if (parsed.kind !== 'dns') throw new UserError(`name server '${bounded(s)}' must be IP[:PORT]; DoH is for resolvers`)
    return parsed
  })
  const resolverInput = flags.resolver ?? config.resolvers ?? (nameservers.length > 0 ? [] : DEFAULT_RESOLVERS)
  return {resolvers: parseResolvers(resolverInput), nameservers, timeoutMs: flags.timeout}
}
