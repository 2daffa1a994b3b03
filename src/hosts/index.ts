import type {z} from 'zod'
import {UserError} from '../lib/errors.js'
import {createCloudflareHost} from './cloudflare.js'
import {createManualHost} from './manual.js'
import {createPowerdnsHost} from './powerdns.js'
import {createRfc2136Host} from './rfc2136.js'
import {createRoute53Host} from './route53.js'
import {
  cloudflareSettingsSchema,
  powerdnsSettingsSchema,
  rfc2136SettingsSchema,
  route53SettingsSchema,
  type HostConfig,
} from './settings.js'
import type {DnsHost, HostDeps} from './types.js'

export type {HostConfig} from './settings.js'
export {DnsHostError, type DnsHost, type HostDeps, type RecordChange} from './types.js'

function block<S extends z.ZodType>(schema: S, value: unknown, host: string): z.output<S> {
  if (value === undefined) throw new UserError(`dns.host is ${host} but the dns.${host} block is missing; add it to the config (see mxcut schema)`)
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new UserError(`dns.${host}.${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data
}

/** The DNS host the config names, ready to read and apply changes. Secrets are read on first use. */
export function createHost(dnsConfig: HostConfig, deps: HostDeps): DnsHost {
  switch (dnsConfig.host) {
    case 'manual':
      return createManualHost(deps)
    case 'rfc2136':
      return createRfc2136Host(block(rfc2136SettingsSchema, dnsConfig.rfc2136, 'rfc2136'), {zone: deps.zone, client: deps.client, timeoutMs: deps.requestTimeoutMs})
    case 'powerdns':
      return createPowerdnsHost(block(powerdnsSettingsSchema, dnsConfig.powerdns, 'powerdns'), {zone: deps.zone, timeoutMs: deps.requestTimeoutMs})
    case 'cloudflare':
      return createCloudflareHost(block(cloudflareSettingsSchema, dnsConfig.cloudflare, 'cloudflare'), {zone: deps.zone, timeoutMs: deps.requestTimeoutMs})
    case 'route53':
      return createRoute53Host(block(route53SettingsSchema, dnsConfig.route53, 'route53'), {
        zone: deps.zone,
        pollIntervalMs: deps.pollIntervalMs,
        timeoutMs: deps.timeoutMs,
      })
    default:
      throw new UserError(`dns.host '${String((dnsConfig as {host: unknown}).host)}' is not one of manual, rfc2136, powerdns, cloudflare, route53`)
  }
}
