import {z} from 'zod'

/**
 * The shape of one provider profile file (src/profiles/*.yaml). Values the
 * provider publishes for every customer are written out; values it derives
 * from the domain are templates ({domain}, {domain-dashed}, or a declared
 * parameter such as {region}); values it assigns per tenant are left out
 * (an MX pattern in mx.assigned, a DKIM record without value, a
 * verification without value) and come from the tenant or the config.
 */

/** A placeholder in a template: {domain}, {domain-dashed}, {region}, … */
export const PLACEHOLDER = /\{([a-z][a-z0-9-]*)\}/g
export const BUILT_IN_VARIABLES = ['domain', 'domain-dashed'] as const

const template = z.string().min(1).regex(/^[a-z0-9.{}_-]+$/i, {message: 'must be a host name or a template such as {domain-dashed}.mail.example.net'})

const regex = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value)
  } catch (err) {
    ctx.addIssue({code: 'custom', message: `is not a regular expression (${(err as Error).message})`})
  }
})

const mxRecord = z.strictObject({priority: z.number().int().min(0).max(65535), exchange: template})

const label = z.string().regex(/^(@|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/i, {message: 'must be @ (the domain itself) or a name relative to it, such as _amazonses'})

export const profileFileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, {message: 'must be lower-case letters, digits and hyphens'}),
    name: z.string().min(1),
    /** mailbox: hosts mailboxes; gateway: filters mail in front of one; on-premises: the organisation's own servers; custom: all from the config. */
    kind: z.enum(['mailbox', 'gateway', 'on-premises', 'custom']),
    aliases: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/)).default([]),
    /** Where the values come from: the provider's own documentation. */
    docs: z.array(z.url({protocol: /^https$/})).min(1),
    /** Values the customer chooses that the templates use (Amazon WorkMail's AWS Region). */
    parameters: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/),
        z.strictObject({description: z.string().min(1), pattern: regex, examples: z.array(z.string()).min(1)}),
      )
      .default({}),
    mx: z.strictObject({
      /** The MX the provider documents for every customer (templates allowed); empty: the value comes from the config. */
      records: z.array(mxRecord).default([]),
      /** Other documented MX sets that are equally valid (legacy hosts). */
      alternatives: z.array(z.array(mxRecord).min(1)).default([]),
      /** MX hosts the provider assigns per domain: recognised, never derived. */
      assigned: z.array(z.strictObject({pattern: regex, description: z.string().min(1)})).default([]),
      /** Where the tenant's own MX value is shown. */
      where: z.string().min(1),
    }),
    spf: z.strictObject({include: template.nullable(), where: z.string().optional()}),
    /** The domain-verification TXT: its name, the prefix of its value; the value itself is assigned per tenant. */
    verification: z.strictObject({name: label, prefix: z.string().min(1).optional(), where: z.string().min(1)}).nullable().default(null),
    /** DKIM records: a record without selector or value has it assigned per tenant. */
    dkim: z
      .strictObject({
        where: z.string().min(1),
        records: z.array(z.strictObject({selector: z.string().regex(/^[a-z0-9][a-z0-9-]*$/i).optional(), type: z.enum(['CNAME', 'TXT']), value: template.optional()})).min(1),
      })
      .nullable()
      .default(null),
    autodiscover: z.strictObject({name: label, value: template}).nullable().default(null),
    /** Recognises today's MX exchanges as this provider's. */
    detect: z.strictObject({mx: z.array(regex)}).default({mx: []}),
    /** Where the tenant's records can be read from. */
    tenant: z.strictObject({api: z.literal('microsoft-graph')}).optional(),
    /** The provider's documented prerequisites for inbound DANE, checked when the target MX matches `mx`. */
    dane: z.strictObject({mx: regex, priorities: z.array(z.number().int().min(0)).min(1), enable: z.string().min(1)}).optional(),
    /**
     * Filtering gateways: where the vendor lists the addresses it relays
     * inbound mail from (the mailbox provider behind it must accept them, and
     * only them, on an inbound connector), and the ranges themselves when the
     * vendor publishes one list for every customer.
     */
    gateway: z
      .strictObject({
        ipRanges: z.array(z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i, {message: 'must be a CIDR range such as 192.0.2.0/24'})).default([]),
        ipRangesWhere: z.string().min(1),
      })
      .optional(),
    /** Mailbox providers: where a filtering gateway in front of them is declared (Microsoft 365's inbound connector, Google Workspace's inbound gateway). */
    inboundGateway: z.strictObject({where: z.string().min(1), docs: z.url({protocol: /^https$/})}).optional(),
    /** provider: the provider runs the reverse DNS of its MX hosts, so their PTR records are not checked (MX_PTR_MISMATCH is for custom hosts). */
    reverseDns: z.enum(['checked', 'provider']).default('checked'),
    notes: z.array(z.string()).default([]),
  })
  .superRefine((p, ctx) => {
    const known = new Set<string>([...BUILT_IN_VARIABLES, ...Object.keys(p.parameters)])
    const check = (value: string | null | undefined, path: PropertyKey[]) => {
      for (const m of (value ?? '').matchAll(PLACEHOLDER)) {
        if (!known.has(m[1])) ctx.addIssue({code: 'custom', path, message: `uses {${m[1]}}, which is neither {domain}, {domain-dashed} nor a declared parameter`})
      }
    }
    p.mx.records.forEach((r, i) => check(r.exchange, ['mx', 'records', i, 'exchange']))
    p.mx.alternatives.forEach((set, i) => set.forEach((r, j) => check(r.exchange, ['mx', 'alternatives', i, j, 'exchange'])))
    check(p.spf.include, ['spf', 'include'])
    p.dkim?.records.forEach((r, i) => {
      check(r.value, ['dkim', 'records', i, 'value'])
      if (r.value !== undefined && r.selector === undefined) ctx.addIssue({code: 'custom', path: ['dkim', 'records', i], message: 'has a value but no selector: a record whose selector is assigned has its value assigned too'})
    })
    check(p.autodiscover?.value, ['autodiscover', 'value'])
    if (p.kind === 'gateway' && !p.gateway) ctx.addIssue({code: 'custom', path: ['gateway'], message: 'is required for a gateway: where the vendor lists the IP ranges it relays inbound mail from'})
    if (p.kind !== 'custom' && p.kind !== 'on-premises' && p.detect.mx.length === 0) {
      ctx.addIssue({code: 'custom', path: ['detect', 'mx'], message: 'must list at least one pattern, so the provider is recognised as the source'})
    }
  })

export type ProfileFile = z.output<typeof profileFileSchema>
