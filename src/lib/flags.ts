import {Flags} from '@oclif/core'

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
