import {isIP} from 'node:net'
import {z} from 'zod'
import {secretRefSchema} from '../lib/secrets.js'

/**
 * The config blocks of each DNS host (`dns.rfc2136`, `dns.powerdns`, …).
 * Secrets are references (env:NAME, file:PATH), resolved only when a host
 * connects. The config schema of `mxcut plan` imports these.
 */

/** IP, IP:PORT, [IPv6]:PORT or a bare IPv6 address: the server must be reachable without a lookup. */
const serverAddress = z.string().refine(
  (s) => {
    const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s)
    if (bracketed) return isIP(bracketed[1]) === 6 && (bracketed[2] === undefined || Number(bracketed[2]) <= 65535)
    if (isIP(s) !== 0) return true
    const m = /^([^:]+):(\d{1,5})$/.exec(s)
    return m !== null && isIP(m[1]) === 4 && Number(m[2]) >= 1 && Number(m[2]) <= 65535
  },
  {message: 'must be an IP address with an optional port: 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53'},
)

const httpUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s)
      return u.protocol === 'https:' || u.protocol === 'http:'
    } catch {
      return false
    }
  },
  {message: 'must be an http:// or https:// URL'},
)

export const tsigKeySchema = z.strictObject({
  name: z.string().min(1).describe('TSIG key name as configured on the server (key "NAME" { … } in named.conf)'),
  algorithm: z.enum(['hmac-sha256', 'hmac-sha512']).default('hmac-sha256'),
  secret: secretRefSchema.describe('env:NAME or file:PATH holding the base64 secret (tsig-keygen output)'),
})

export const rfc2136SettingsSchema = z.strictObject({
  server: serverAddress.describe('primary server that accepts UPDATE: IP[:PORT]'),
  zone: z.string().min(1).optional().describe('zone to update; default: the zone found by discovery'),
  key: tsigKeySchema,
  transport: z.enum(['udp', 'tcp']).default('udp').describe('udp falls back to TCP on truncation or silence'),
})

export const powerdnsSettingsSchema = z.strictObject({
  url: httpUrl.describe('base URL of the PowerDNS API webserver, e.g. http://127.0.0.1:8081'),
  apiKey: secretRefSchema.describe('env:NAME or file:PATH holding the X-API-Key'),
  serverId: z.string().min(1).default('localhost'),
})

export const cloudflareSettingsSchema = z.strictObject({
  apiToken: secretRefSchema.describe('env:NAME or file:PATH holding an API token with Zone.DNS edit'),
  zoneId: z.string().min(1).optional().describe('default: looked up by zone name'),
  baseUrl: httpUrl.optional().describe('API endpoint; default https://api.cloudflare.com/client/v4'),
})

export const route53SettingsSchema = z.strictObject({
  hostedZoneId: z.string().min(1).describe('e.g. Z0123456789ABCDEFGHIJ'),
  region: z.string().min(1).optional().describe('default us-east-1 (Route 53 is global)'),
  endpoint: httpUrl.optional().describe('API endpoint; default the AWS Route 53 endpoint'),
  accessKeyId: secretRefSchema.optional(),
  secretAccessKey: secretRefSchema.optional(),
})

export const hostNames = ['manual', 'rfc2136', 'powerdns', 'cloudflare', 'route53'] as const
export type HostName = (typeof hostNames)[number]

export type Rfc2136Settings = z.infer<typeof rfc2136SettingsSchema>
export type PowerdnsSettings = z.infer<typeof powerdnsSettingsSchema>
export type CloudflareSettings = z.infer<typeof cloudflareSettingsSchema>
export type Route53Settings = z.infer<typeof route53SettingsSchema>

/** The host-related part of the config's `dns` block. */
export interface HostConfig {
  host: HostName
  rfc2136?: z.input<typeof rfc2136SettingsSchema>
  powerdns?: z.input<typeof powerdnsSettingsSchema>
  cloudflare?: z.input<typeof cloudflareSettingsSchema>
  route53?: z.input<typeof route53SettingsSchema>
}
