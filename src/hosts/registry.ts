import {readdirSync} from 'node:fs'
import {z} from 'zod'
import {UserError} from '../lib/errors.js'
import {bounded} from '../lib/bounded.js'
import {redact, redactError} from '../lib/redact.js'
import type {DnsHost, HostDeps, HostModule} from './types.js'

/**
 * The DNS hosts mxcut knows: every module in providers/. They are found by
 * reading that directory rather than listed here, so adding a host is one new
 * file; the config schema, `mxcut init` and createHost all read this list.
 * The directory holds .ts files under vitest and tsx, .js files in dist/.
 */

const PROVIDERS = new URL('./providers/', import.meta.url)

const isFunction = (f: unknown) => typeof f === 'function'

/** What a provider file must export; the factory cannot be checked against its schema here, only by the module's own types. */
const declaration = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  label: z.string().min(1),
  settings: z.custom<z.ZodType>((s) => s instanceof z.ZodType).nullable(),
  limits: z.object({minTtl: z.number().int().min(0)}),
  init: z.object({
    questions: z.array(
      z.object({
        flag: z.string().regex(/^[a-z0-9-]+$/),
        help: z.string(),
        message: z.string(),
        default: z.string().optional(),
        example: z.string().optional(),
        secret: z.boolean().optional(),
      }),
    ),
    settings: z.custom(isFunction),
  }),
  notes: z.custom(isFunction).optional(),
  create: z.custom(isFunction),
})

/** A broken provider file is a bug in mxcut, not a user error: fail at start-up, naming the file and the field. */
function assertHostModule(value: unknown, file: string): asserts value is HostModule {
  const checked = declaration.safeParse(value)
  if (!checked.success) {
    const issue = checked.error.issues[0]
    throw new Error(`hosts/providers/${file}: the default export is not a HostModule (${issue.path.join('.') || 'the export'}: ${issue.message})`)
  }
  const name = file.replace(/\.[jt]s$/, '')
  if (checked.data.name !== name) throw new Error(`hosts/providers/${file} declares the host '${checked.data.name}': a host's name is its file name`)
}

async function load(file: string): Promise<HostModule> {
  const loaded: unknown = await import(new URL(file, PROVIDERS).href)
  const host: unknown = typeof loaded === 'object' && loaded !== null && 'default' in loaded ? loaded.default : undefined
  assertHostModule(host, file)
  return host
}

const files = readdirSync(PROVIDERS).filter((f) => /\.[jt]s$/.test(f) && !f.endsWith('.d.ts'))

const rank = (m: HostModule) => (m.name === 'manual' ? 0 : 1)

/** Every host: manual first (the default, and the first choice of the init menu), then by name. */
export const hostModules: readonly HostModule[] = (await Promise.all(files.map(load))).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'en'))

export const hostNames: readonly string[] = hostModules.map((m) => m.name)

/** The host-related part of the config's `dns` block: `host` and the blocks named after hosts. */
export interface HostConfig {
  host: string
  [block: string]: unknown
}

export function getHostModule(name: string): HostModule {
  const host = hostModules.find((m) => m.name === name)
  if (!host) throw new UserError(`dns.host '${bounded(name)}' is not one of ${hostNames.join(', ')}`)
  return host
}

function block<S extends z.ZodType>(schema: S, value: unknown, host: string): z.output<S> {
  if (value === undefined) throw new UserError(`dns.host is ${host} but the dns.${host} block is missing; add it to the config (see mxcut schema)`)
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new UserError(`dns.${host}.${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data
}

/** The host's notes on the config's settings for the plan's review; none when the block does not parse (createHost says why). */
export function hostNotes(dnsConfig: HostConfig): string[] {
  const host = getHostModule(String(dnsConfig.host))
  if (!host.notes) return []
  if (host.settings === null) return host.notes(null)
  const parsed = host.settings.safeParse(dnsConfig[host.name])
  return parsed.success ? host.notes(parsed.data) : []
}

/**
 * The DNS host the config names, ready to read and apply changes. Secrets are
 * read on first use. Every error a host raises passes the redactor on its
 * way out, and what it prints too: an API that echoes the credentials it was
 * sent, into an error body or anywhere else, cannot leak them through mxcut.
 */
export function createHost(dnsConfig: HostConfig, deps: HostDeps): DnsHost {
  const host = getHostModule(String(dnsConfig.host))
  const settings = host.settings === null ? null : block(host.settings, dnsConfig[host.name], host.name)
  return redacting(host.create(settings, {...deps, print: (text) => deps.print(redact(text))}))
}

function redacting(host: DnsHost): DnsHost {
  const guard =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await f(...args)
      } catch (err) {
        throw redactError(err)
      }
    }
  const check = host.check?.bind(host)
  return {
    name: host.name,
    atomic: host.atomic,
    read: guard(host.read.bind(host)),
    apply: guard(host.apply.bind(host)),
    ...(check ? {check: guard(check)} : {}),
  }
}
