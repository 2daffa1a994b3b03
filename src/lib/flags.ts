import {Flags} from '@oclif/core'
import {DEFAULT_RESOLVERS, parseResolvers, parseServer, type DnsServer, type ServerSpec} from '../dns/server.js'
import {UserError} from './errors.js'

/** The DNS flags shared by every command that reads DNS. */
export const dnsFlags = {
  resolver: Flags.string({
    char: 'r',
    description:
      'Recursive resolver to ask: IP[:PORT], [IPv6]:PORT, an https:// DoH URL, or google|cloudflare|quad9|opendns. Repeatable.',
    multiple: true,
    helpGroup: 'DNS',
  }),
  nameserver: Flags.string({
    char: 'n',
    description: 'Authoritative server to read instead of discovering the NS set: IP[:PORT]. Repeatable.',
    multiple: true,
    helpGroup: 'DNS',
  }),
  timeout: Flags.integer({
    description: 'Per-query timeout in milliseconds.',
    default: 2000,
    min: 50,
    max: 60000,
    helpGroup: 'DNS',
  }),
}

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
    if (parsed.kind !== 'dns') throw new UserError(`name server '${s}' must be IP[:PORT]; DoH is for resolvers`)
    return parsed
  })
  const resolverInput = flags.resolver ?? config.resolvers ?? (nameservers.length > 0 ? [] : DEFAULT_RESOLVERS)
  return {resolvers: parseResolvers(resolverInput), nameservers, timeoutMs: flags.timeout}
}
