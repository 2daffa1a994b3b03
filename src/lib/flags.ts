import {Flags} from './oclif.js'

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

/** --notify on the commands that run a plan. */
export const notifyFlag = {
  notify: Flags.string({
    description:
      'Tell a person when the plan needs one, drifts, fails, pauses or completes: a command (gets the event as JSON on stdin), an https:// webhook (Slack, Teams), or env:NAME holding either. Repeatable; replaces the config\'s notify:.',
    multiple: true,
  }),
}
