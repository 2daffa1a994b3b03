import {readFile} from 'node:fs/promises'
import {z} from 'zod'
import {parseDocument} from 'yaml'
import {parseDomain} from '../dns/names.js'
import {parseResolvers, parseServer} from '../dns/server.js'
import {hostModules, hostNames} from '../hosts/registry.js'
import {bounded} from '../lib/bounded.js'
import {errorMessage, UserError} from '../lib/errors.js'
import {fsError} from '../lib/fs-errors.js'
import {notifyTargetProblem} from '../lib/notify-target.js'
import {SECRET_REF, secretRefSchema} from '../lib/secrets.js'
import {getProfile, profileIds} from '../profiles/index.js'
import {recordedConfigSchema, type RecordedConfig} from '../state/config.js'
import type {PreflightSettings} from '../state/schema.js'
import type {TenantRecords} from '../profiles/tenant.js'
import {parseMx} from '../zone/rrset.js'

/**
 * The cutover config (DESIGN.md "Config file", version 1). Everything a user
 * can get wrong is caught here, before any DNS is read, and reported as one
 * line naming the field and the fix.
 */

/** Seconds, written as 300 or "300", "90s", "5m", "1h", "7d". */
const DURATION = /^(\d+)\s*(s|m|min|h|d|w)?$/i
const UNIT: Record<string, number> = {s: 1, m: 60, min: 60, h: 3600, d: 86400, w: 604800}

export function parseDurationText(text: string): number | null {
  const m = DURATION.exec(text.trim())
  if (!m) return null
  return Number(m[1]) * UNIT[(m[2] ?? 's').toLowerCase()]
}

const duration = (what: string, min: number, max: number) =>
  z
    .union([z.number(), z.string()])
    .describe(`${what}: seconds, or a number with a unit (90s, 5m, 1h, 7d)`)
    .transform((value, ctx) => {
      const seconds = typeof value === 'number' ? value : parseDurationText(value)
      if (seconds === null || !Number.isInteger(seconds)) {
        ctx.addIssue({code: 'custom', message: `must be a whole number of seconds or a duration such as 300, 5m, 1h, 7d (got ${JSON.stringify(value)})`})
        return z.NEVER
      }
      if (seconds < min || seconds > max) {
        ctx.addIssue({code: 'custom', message: `must be between ${min} and ${max} seconds (got ${seconds})`})
        return z.NEVER
      }
      return seconds
    })

const domainName = z.string().transform((value, ctx) => {
  try {
    return parseDomain(value)
  } catch (err) {
    ctx.addIssue({code: 'custom', message: errorMessage(err).replace(/^domain /, 'is not a valid domain: ')})
    return z.NEVER
  }
})

/** An SPF include target: a host name whose labels may start with '_' (_spf.google.com). */
const includeName = z.string().transform((value, ctx) => {
  const name = value.trim().toLowerCase().replace(/\.$/, '')
  if (!/^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)+$/.test(name)) {
    ctx.addIssue({code: 'custom', message: `'${value}' is not an SPF include domain such as _spf.google.com`})
    return z.NEVER
  }
  return name
})

const mxList = z
  .array(z.string().describe('"PREFERENCE HOST", e.g. "0 contoso-com.mail.protection.outlook.com"'))
  .min(1)
  .transform((values, ctx) => {
    const out = []
    for (const [i, v] of values.entries()) {
      const mx = parseMx(v)
      if (!mx) {
        ctx.addIssue({code: 'custom', path: [i], message: `'${bounded(v)}' must be "PREFERENCE HOST", e.g. "0 contoso-com.mail.protection.outlook.com"`})
        return z.NEVER
      }
      if (mx.exchange === '.') {
        ctx.addIssue({code: 'custom', path: [i], message: `'${bounded(v)}' is a null MX (refuses all mail); give the target's mail hosts`})
        return z.NEVER
      }
      try {
        parseDomain(mx.exchange, 'MX host')
      } catch (err) {
        ctx.addIssue({code: 'custom', path: [i], message: errorMessage(err)})
        return z.NEVER
      }
      out.push(mx)
    }
    return out
  })

const profileId = z.string().superRefine((id, ctx) => {
  try {
    getProfile(id)
  } catch {
    ctx.addIssue({code: 'custom', message: `'${bounded(id)}' is not a known profile: choose one of ${profileIds().join(', ')} (see: mxcut profiles)`})
  }
})

const dkimEntry = z.strictObject({
  selector: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, {message: 'must be a DNS label such as selector1'}),
  type: z.enum(['CNAME', 'TXT']),
  value: z.string().min(1),
})

const domainEntry = z.union([
  domainName,
  z.strictObject({
    name: domainName,
    mx: mxList.optional().describe("this domain's own MX value from the target's admin center"),
    verification: z.string().min(1).optional(),
  }),
])

/** One optional dns.<name> block per host of the registry that takes settings. */
const hostSettings = Object.fromEntries(
  hostModules.flatMap((h): Array<[string, z.ZodOptional<z.ZodType>]> => (h.settings ? [[h.name, h.settings.optional()]] : [])),
)

const serverList = (what: string) =>
  z.array(z.string()).superRefine((values, ctx) => {
    for (const [i, v] of values.entries()) {
      try {
        if (what === 'resolver') parseResolvers([v])
        else if (parseServer(v, what).kind !== 'dns') throw new UserError(`'${bounded(v)}' must be IP[:PORT]; DoH is for resolvers`)
      } catch (err) {
        ctx.addIssue({code: 'custom', path: [i], message: errorMessage(err).replace(new RegExp(`^${what} `), '')})
      }
    }
  })

/** Where notifications go: commands, https:// webhooks, or references to either (a webhook URL holds its token). */
const notifyTargets = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((value, ctx) => {
    const list = typeof value === 'string' ? [value] : value
    for (const [i, v] of list.entries()) {
      const problem = notifyTargetProblem(v)
      if (problem) {
        ctx.addIssue({code: 'custom', path: typeof value === 'string' ? [] : [i], message: problem})
        return z.NEVER
      }
    }
    return list
  })

const configSchemaBase = z
  .strictObject({
    $schema: z.string().optional().describe('path or URL of mxcut-config.schema.json, for editors'),
    version: z.literal(1, {message: 'must be 1 (the only config version)'}),
    domain: domainName.optional().describe('the domain whose mail moves'),
    domains: z.array(domainEntry).min(1).optional().describe('several domains, each planned on its own timeline'),
    target: z.strictObject({
      profile: profileId.meta({description: 'the provider mail moves to', examples: profileIds()}),
      mx: mxList.optional().describe("the tenant's MX value; wins over the profile's default"),
      verification: z.string().min(1).optional().describe('domain-verification TXT the target asks for, e.g. MS=ms12345678'),
      spfInclude: includeName.optional().describe("SPF include of the target; default: the profile's"),
      tenant: z.string().optional().describe('no longer used: Microsoft assigns the DKIM CNAME targets per domain; give them in target.dkim'),
      dkim: z
        .union([z.literal(false), z.array(dkimEntry)])
        .optional()
        .describe("false: leave DKIM out of the plan; a list: publish these (values copied from the provider); default: the profile's when it documents them all"),
      region: z.string().optional().describe("the provider's region where its hosts depend on it (Amazon WorkMail: the AWS Region, e.g. us-east-1)"),
      graph: z
        .strictObject({
          token: secretRefSchema.describe('env:NAME or file:PATH of a Microsoft Graph bearer token with Domain.Read.All'),
          endpoint: z
            .url({protocol: /^https$/})
            .optional()
            .describe('Microsoft Graph v1.0 endpoint; default https://graph.microsoft.com/v1.0 (national clouds have their own)'),
        })
        .optional()
        .describe("read the tenant's MX, SPF, autodiscover and verification TXT from Microsoft Graph (Microsoft 365 targets)"),
      autodiscover: z.boolean().default(true).describe('publish the provider autodiscover CNAME (Microsoft 365)'),
      behind: profileId.optional().describe('with a filtering gateway as the target: the mailbox provider behind it (microsoft365, google-workspace), where the plan has its inbound connector declared'),
      gatewayIpRanges: z
        .array(z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i, {message: 'must be a CIDR range such as 192.0.2.0/24'}))
        .min(1)
        .optional()
        .describe("the gateway's IP ranges for your region or instance, as its documentation or console lists them: the provider behind it must accept mail from these"),
    }),
    source: z
      .strictObject({
        profile: z
          .string()
          .default('auto')
          .superRefine((id, ctx) => {
            if (id === 'auto') return
            try {
              getProfile(id)
            } catch {
              ctx.addIssue({code: 'custom', message: `'${bounded(id)}' is not a known profile: use auto or one of ${profileIds().join(', ')}`})
            }
          })
          .describe("auto: detected from today's MX"),
        spfInclude: includeName.optional().describe('SPF include of the source, dropped by the cleanup step'),
        spfDropAtSwap: z
          .array(includeName)
          .min(1)
          .optional()
          .describe('SPF includes of the source to drop in the swap update itself, when the source stops sending: for an SPF record that would need more than 10 lookups with the target include added beside them'),
      })
      .default({profile: 'auto'}),
    strategy: z.enum(['replace', 'staged'], {message: 'must be replace or staged'}).default('replace'),
    ttl: z
      .strictObject({
        lowered: duration('MX TTL during the cutover', 1, 86400).default(300),
        final: duration('MX TTL after the cutover; default: the TTL observed today', 1, 604800).optional(),
        margin: duration('safety margin added to every cache wait', 0, 86400).default(60),
      })
      .default({lowered: 300, margin: 60}),
    cleanup: z
      .strictObject({
        enabled: z.boolean().default(true),
        soak: duration('time between the confirmed mail flow and the cleanup', 0, 31536000).default(604800),
      })
      .default({enabled: true, soak: 604800}),
    dns: z
      .strictObject({
        host: z.enum(hostNames, {message: `must be one of ${hostNames.join(', ')}`}).default('manual'),
        ...hostSettings,
        nameservers: serverList('name server').default([]).describe('authoritative servers to read instead of discovering them: IP[:PORT]'),
      })
      .default({host: 'manual', nameservers: []}),
    resolvers: serverList('resolver').optional().describe('resolvers to watch: IP[:PORT], https://… or google|cloudflare|quad9|opendns'),
    notify: notifyTargets.optional().describe('tell a person when the plan needs one: a command (gets the event as JSON on stdin), an https:// webhook, or env:NAME / file:PATH holding either'),
  })

export const configSchema = configSchemaBase.superRefine((c, ctx) => {
    if (c.domain === undefined && c.domains === undefined) ctx.addIssue({code: 'custom', path: ['domain'], message: 'is missing: give domain: contoso.com (or domains: [...])'})
    if (c.domain !== undefined && c.domains !== undefined) ctx.addIssue({code: 'custom', path: ['domains'], message: 'cannot be given together with domain: keep one of them'})
    if (c.domains) {
      const seen = new Set<string>()
      for (const [i, d] of c.domains.entries()) {
        const name = typeof d === 'string' ? d : d.name
        if (seen.has(name)) ctx.addIssue({code: 'custom', path: ['domains', i], message: `lists ${name} twice`})
        seen.add(name)
      }
      if (c.domains.length > 1 && c.target.mx) {
        ctx.addIssue({code: 'custom', path: ['target', 'mx'], message: "is one domain's MX; with several domains give each its own: domains: [{name: …, mx: [...]}]"})
      }
    }
    checkTargetForProfile(c, ctx)
    const prefix = safeProfile(c.target.profile)?.verification?.prefix
    const verifications = [c.target.verification, ...(c.domains ?? []).map((d) => (typeof d === 'string' ? undefined : d.verification))]
    for (const v of verifications) {
      if (v && prefix && !v.startsWith(prefix)) {
        ctx.addIssue({code: 'custom', path: ['target', 'verification'], message: `'${bounded(v)}' must start with ${prefix} for ${c.target.profile} (copy the TXT value from the admin center)`})
      }
    }
    if (c.ttl.final !== undefined && c.ttl.lowered > c.ttl.final) {
      ctx.addIssue({code: 'custom', path: ['ttl', 'lowered'], message: `(${c.ttl.lowered}) must not exceed ttl.final (${c.ttl.final})`})
    }
    const host = c.dns.host
    // zod's inferred type of dns leaves out the blocks spread in from the registry: read them by name.
    const blocks: Record<string, unknown> = c.dns
    if (hostModules.some((h) => h.name === host && h.settings !== null) && blocks[host] === undefined) {
      ctx.addIssue({code: 'custom', path: ['dns', host], message: `is required when dns.host is ${host} (see: mxcut schema)`})
    }
    for (const {name: other} of hostModules) {
      if (other !== host && blocks[other] !== undefined) {
        ctx.addIssue({code: 'custom', path: ['dns', other], message: `is given but dns.host is ${host}: set dns.host: ${other} or remove dns.${other}`})
      }
    }
  })

type ConfigRefineContext = z.core.$RefinementCtx<z.output<typeof configSchemaBase>>

/** What the target profile needs from the config, and what it cannot use. */
function checkTargetForProfile(c: z.output<typeof configSchemaBase>, ctx: ConfigRefineContext): void {
  const profile = safeProfile(c.target.profile)
  if (!profile) return
  const everyDomainHasMx = c.domains !== undefined && c.domains.every((d) => typeof d !== 'string' && d.mx !== undefined)
  if (profile.mx.records.length === 0 && !c.target.mx && !everyDomainHasMx && !c.target.graph) {
    ctx.addIssue({code: 'custom', path: ['target', 'mx'], message: `is required with target.profile ${profile.id}: give the new provider's MX, e.g. ["10 mx1.provider.example"] (${profile.mx.where})`})
  }
  if (c.target.tenant !== undefined) {
    ctx.addIssue({code: 'custom', path: ['target', 'tenant'], message: 'no longer fills in the DKIM CNAMEs: Microsoft assigns their targets per domain (*.dkim.mail.microsoft for domains added since mid-2025); copy Selector1CNAME and Selector2CNAME from the Defender portal (Email authentication settings › DKIM) or Get-DkimSigningConfig into target.dkim, and remove target.tenant'})
  }
  const parameters = Object.entries(profile.parameters)
  if (c.target.region !== undefined) {
    const spec = profile.parameters.region
    if (!spec) ctx.addIssue({code: 'custom', path: ['target', 'region'], message: `is not used by the ${profile.id} profile: remove it`})
    else if (!new RegExp(spec.pattern).test(c.target.region)) ctx.addIssue({code: 'custom', path: ['target', 'region'], message: `'${c.target.region}' is not ${spec.description} (e.g. ${spec.examples.join(', ')})`})
  }
  for (const [name, spec] of parameters) {
    if (name !== 'region') continue
    if (c.target.region === undefined && !c.target.mx && !everyDomainHasMx) ctx.addIssue({code: 'custom', path: ['target', 'region'], message: `is required with target.profile ${profile.id}: ${spec.description} (e.g. ${spec.examples.join(', ')})`})
  }
  if ((c.target.behind !== undefined || c.target.gatewayIpRanges !== undefined) && profile.kind !== 'gateway') {
    ctx.addIssue({code: 'custom', path: ['target', c.target.behind !== undefined ? 'behind' : 'gatewayIpRanges'], message: `is for a filtering gateway as the target; ${profile.id} is not one: remove it`})
  }
  const behind = c.target.behind !== undefined ? safeProfile(c.target.behind) : null
  if (behind && behind.kind !== 'mailbox' && behind.kind !== 'on-premises') {
    ctx.addIssue({code: 'custom', path: ['target', 'behind'], message: `must be the mailbox provider behind the gateway (microsoft365, google-workspace, …), not ${behind.id}`})
  }
  if (c.target.graph && profile.tenant?.api !== 'microsoft-graph') {
    ctx.addIssue({code: 'custom', path: ['target', 'graph'], message: `reads a Microsoft 365 tenant; the ${profile.id} profile has no tenant API: remove target.graph`})
  }
}

function safeProfile(id: string) {
  try {
    return getProfile(id)
  } catch {
    return null
  }
}

export type Config = z.output<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>

/** One domain of the config with what is specific to it. */
export interface DomainEntry {
  name: string
  mx?: Array<{priority: number; exchange: string}>
  verification?: string
}

export function configDomains(config: Config): DomainEntry[] {
  if (config.domains) return config.domains.map((d) => (typeof d === 'string' ? {name: d} : d))
  return config.domain ? [{name: config.domain, ...(config.target.mx ? {mx: config.target.mx} : {}), ...(config.target.verification ? {verification: config.target.verification} : {})}] : []
}

/** The target as the audit takes it (the pre-flight's recorded target), for one domain of the config: the tenant's values, when read, stand in for what the config leaves out. */
export function auditTarget(config: Config, domain: string, tenant?: TenantRecords | null): PreflightSettings['target'] {
  const entry = configDomains(config).find((d) => d.name === domain)
  const mx = entry?.mx ?? config.target.mx ?? (tenant?.mx.length ? tenant.mx : undefined)
  const verification = entry?.verification ?? config.target.verification ?? tenant?.verification ?? undefined
  const spfInclude = config.target.spfInclude ?? tenant?.spfInclude ?? undefined
  return {
    profile: getProfile(config.target.profile).id,
    ...(mx ? {mx} : {}),
    ...(verification ? {verification} : {}),
    ...(spfInclude ? {spfInclude} : {}),
    ...(config.target.dkim !== undefined ? {dkim: config.target.dkim} : {}),
    ...(config.target.region ? {region: config.target.region} : {}),
    ...(config.target.autodiscover === false ? {autodiscover: false} : {}),
  }
}

/** Where a zod issue points, as a person writes it: dns.rfc2136.key.secret, target.mx[0]. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? bounded(String(p), 80) : `.${bounded(String(p), 80)}`
  return out
}

/** Field names known at a path of the schema, to suggest the right one for a typo. */
function knownFields(path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = configSchema
  for (const p of path) {
    node = unwrap(node)
    if (typeof p === 'number') node = node instanceof z.ZodArray ? (node.element as z.ZodType) : undefined
    else node = node instanceof z.ZodObject ? (node.shape as Record<string, z.ZodType>)[String(p)] : undefined
    if (!node) return []
  }
  node = unwrap(node)
  return node instanceof z.ZodObject ? Object.keys(node.shape as object) : []
}

function unwrap(node: z.ZodType | undefined): z.ZodType | undefined {
  let n = node
  for (let i = 0; i < 10 && n; i++) {
    if (n instanceof z.ZodOptional || n instanceof z.ZodDefault || n instanceof z.ZodNullable) n = n.unwrap() as z.ZodType
    else if (n instanceof z.ZodPipe) n = n.in as z.ZodType
    else if (n instanceof z.ZodUnion) {
      const obj = (n.options as z.ZodType[]).find((o) => o instanceof z.ZodObject)
      return obj ?? n
    } else return n
  }
  return n
}

function closest(word: string, candidates: string[]): string | null {
  const dist = (a: string, b: string) => {
    const d = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
    for (let j = 1; j <= b.length; j++) d[0][j] = j
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1))
    return d[a.length][b.length]
  }
  const best = candidates.map((c) => ({c, d: dist(word, c)})).sort((x, y) => x.d - y.d)[0]
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : null
}

/** One zod issue as the rest of a line "FILE: …": the field, what is wrong, what to do. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = fieldPath(issue.path)
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = bounded(issue.keys[0], 80)
      const field = path ? `${path}.${key}` : key
      const known = knownFields(issue.path)
      const guess = closest(key, known)
      return `${field} is not a known field${guess ? `: did you mean ${path ? `${path}.` : ''}${guess}?` : known.length ? ` (known here: ${known.filter((k) => k !== '$schema').join(', ')})` : ''}`
    }
    case 'invalid_type': {
      if (/received undefined/.test(issue.message)) return `${path} is missing (see: mxcut schema)`
      if (issue.expected === 'object') return `${path} must be a mapping of fields (key: value)`
      if (issue.expected === 'array') return `${path} must be a list ([a, b] or "- a" lines)`
      return `${path} must be a ${issue.expected}`
    }
    case 'invalid_value':
      return `${path} ${issue.message.startsWith('must') ? issue.message : `must be one of ${issue.values.map((v) => String(v)).join(', ')}`}`
    case 'invalid_union': {
      // A union's branches each failed: show the failure of the branch that got furthest.
      const inner = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0]
      if (inner) return describeIssue({...inner, path: [...issue.path, ...inner.path]} as z.core.$ZodIssue)
      return `${path} has an unexpected form (see: mxcut schema)`
    }
    case 'invalid_format':
    case 'custom':
      return `${path} ${issue.message}`
    case 'too_small':
      if (issue.origin === 'array') return `${path} must list at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`
      if (issue.origin === 'string') return `${path} must not be empty`
      return `${path} must be at least ${String(issue.minimum)}`
    case 'too_big':
      return `${path} must be at most ${String(issue.maximum)}`
    default:
      return `${path} ${issue.message}`
  }
}

/** The first issue of a failed parse, with a hint when a secret was written in clear. */
function firstProblem(error: z.ZodError): string {
  const issues = [...error.issues]
  const first = issues[0]
  let line = describeIssue(first)
  if (issues.length > 1) line += ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})`
  return line
}

/** Validates parsed YAML/JSON. `where` prefixes messages (the file name). */
export function parseConfig(data: unknown, where: string): Config {
  const result = configSchema.safeParse(data)
  if (!result.success) throw new UserError(`${where}: ${firstProblem(result.error)}`)
  return result.data
}

export async function loadConfig(path: string): Promise<Config> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`config ${path} does not exist; write one with: mxcut init`)
    if (code === 'EISDIR') throw new UserError(`config ${path} is a directory; give the YAML file (plans/DOMAIN.yaml)`)
    throw fsError(err, 'read config', path)
  }
  return parseConfigText(text, path)
}

/** Alias uses one config may make; a real config needs a few at most. */
const MAX_YAML_ALIASES = 100

export function parseConfigText(text: string, where: string): Config {
  const doc = parseDocument(text, {prettyErrors: true, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = e.linePos?.[0]
    throw new UserError(`${where}: not valid YAML${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${bounded(e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''))}`)
  }
  let data: unknown
  try {
    // The yaml library stops expanding aliases past maxAliasCount: a "billion laughs" file is refused, not expanded.
    data = doc.toJS({maxAliasCount: MAX_YAML_ALIASES})
  } catch (err) {
    if (err instanceof ReferenceError) {
      throw new UserError(`${where}: its YAML aliases (*name) expand too far (more than ${MAX_YAML_ALIASES} uses, as in an alias bomb); write the values out instead of nesting aliases`)
    }
    throw new UserError(`${where}: not valid YAML: ${bounded(errorMessage(err))}`)
  }
  if (data === null || data === undefined) throw new UserError(`${where}: the file is empty; start from plans/examples/ or run mxcut init`)
  if (typeof data !== 'object' || Array.isArray(data)) throw new UserError(`${where}: must be a mapping of fields (version: 1, domain: …)`)
  return parseConfig(data, where)
}

/**
 * The config as a plan records it (src/state/config.ts): every secret kept as
 * its reference and anything else secret-looking dropped.
 */
export function recordedConfig(config: Config): RecordedConfig {
  return recordedConfigSchema.parse(redacted(config))
}

// A loaded config is what a plan records: checked here, at compile time, so the two shapes cannot drift apart.
const loadedIsRecorded = (config: Config): RecordedConfig => config
void loadedIsRecorded

function redacted(config: Config): unknown {
  const walk = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, key))
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]))
    }
    if (typeof value === 'string' && /secret|token|key|password/i.test(key) && !SECRET_REF.test(value) && key !== 'name') return '(redacted)'
    return value
  }
  return walk(config, '')
}

/** JSON Schema of the config file (what users write: durations as text or seconds, defaults shown). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {io: 'input', unrepresentable: 'any', target: 'draft-2020-12'}) as Record<string, unknown>
  return {
    $schema: schema.$schema,
    title: 'mxcut cutover config (version 1)',
    description: 'Plans an email MX cutover; see DESIGN.md "Config file". Secrets are references: env:NAME or file:PATH.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  }
}
