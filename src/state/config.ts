import {z} from 'zod'
import {mxDataSchema} from './records.js'

/**
 * The config as a plan records it: the user's config after loading (durations
 * in seconds, MX values parsed, defaults filled in, secrets still as their
 * env:/file: references). src/plan/config.ts turns what users write into this
 * shape and checks at compile time that it does; the runner, the verifier and
 * the sandbox read it from the plan with this schema, never with a cast.
 *
 * The settings of each DNS host (dns.rfc2136, dns.cloudflare, …) are kept as
 * they were written: the host registry validates them when it builds the host.
 */

export const recordedDkimSchema = z.strictObject({
  selector: z.string(),
  type: z.enum(['CNAME', 'TXT']),
  value: z.string(),
})

export const recordedDomainSchema = z.union([
  z.string(),
  z.strictObject({name: z.string(), mx: z.array(mxDataSchema).optional(), verification: z.string().optional()}),
])

export const recordedConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  domain: z.string().optional(),
  domains: z.array(recordedDomainSchema).optional(),
  target: z.strictObject({
    profile: z.string(),
    mx: z.array(mxDataSchema).optional(),
    verification: z.string().optional(),
    spfInclude: z.string().optional(),
    tenant: z.string().optional(),
    dkim: z.union([z.literal(false), z.array(recordedDkimSchema)]).optional(),
    autodiscover: z.boolean().default(true),
    region: z.string().optional(),
    graph: z.strictObject({token: z.string(), endpoint: z.string().optional()}).optional(),
    behind: z.string().optional(),
    gatewayIpRanges: z.array(z.string()).optional(),
  }),
  source: z.strictObject({profile: z.string().default('auto'), spfInclude: z.string().optional(), spfDropAtSwap: z.array(z.string()).optional()}).default({profile: 'auto'}),
  strategy: z.enum(['replace', 'staged']).default('replace'),
  ttl: z
    .strictObject({
      lowered: z.number().int().min(1).default(300),
      final: z.number().int().min(1).optional(),
      margin: z.number().int().min(0).default(60),
    })
    .default({lowered: 300, margin: 60}),
  cleanup: z
    .strictObject({enabled: z.boolean().default(true), soak: z.number().int().min(0).default(604800)})
    .default({enabled: true, soak: 604800}),
  dns: z
    .looseObject({
      host: z.string().default('manual'),
      nameservers: z.array(z.string()).default([]),
    })
    .default({host: 'manual', nameservers: []}),
  resolvers: z.array(z.string()).optional(),
  notify: z.array(z.string()).optional(),
})

export type RecordedConfig = z.output<typeof recordedConfigSchema>
