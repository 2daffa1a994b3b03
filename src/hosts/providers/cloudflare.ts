import type Cloudflare from 'cloudflare'
import {z} from 'zod'
import {canonicalName} from '../../dns/names.js'
import {parseTxtPresentation, txtPresentation, type MxData, type TxtData} from '../../dns/records.js'
import {errorMessage, UserError} from '../../lib/errors.js'
import {assertConnectionAllowed} from '../../lib/loopback-guard.js'
import {resolveSecret, secretRefSchema} from '../../lib/secrets.js'
import type {RecordData, RRset} from '../../zone/rrset.js'
import {checkExpectations, toText} from '../rdata.js'
import {httpUrl} from '../settings.js'
import {DnsHostError, type DnsHost, type HostModule, type RecordChange} from '../types.js'

export const cloudflareSettingsSchema = z.strictObject({
  apiToken: secretRefSchema.describe('env:NAME or file:PATH holding an API token with Zone.DNS edit'),
  zoneId: z.string().min(1).optional().describe('default: looked up by zone name'),
  baseUrl: httpUrl.optional().describe('API endpoint; default https://api.cloudflare.com/client/v4'),
})

export type CloudflareSettings = z.infer<typeof cloudflareSettingsSchema>

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4'
/** Cloudflare shows TTL 1 as "Auto", which its servers answer as 300 s. */
const AUTO_TTL = 300

export interface CloudflareDeps {
  zone: string
  timeoutMs?: number
}

interface CfRecord {
  id: string
  name: string
  type: string
  content?: string
  priority?: number
  ttl: number
}

type RecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'NS' | 'PTR' | 'TXT' | 'TLSA'
const SUPPORTED = new Set<string>(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'TXT'])

function dataOf(r: CfRecord): RecordData {
  const content = r.content ?? ''
  switch (r.type) {
    case 'MX':
      return {priority: r.priority ?? 0, exchange: content === '.' || content === '' ? '.' : canonicalName(content)}
    case 'TXT':
      // Cloudflare keeps TXT content as entered: quoted character-strings, or bare text it cuts at 255 octets.
      return content.startsWith('"') ? parseTxtPresentation(content) : content
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return canonicalName(content)
    default:
      return content.toLowerCase()
  }
}

/** The body of one record in a batch "posts" entry (Cloudflare API: DNS Records for a Zone). */
function postOf(change: RecordChange & {action: 'replace'}, data: RecordData) {
  const name = canonicalName(change.name)
  const ttl = change.ttl
  const comment = 'mxcut'
  switch (change.type) {
    case 'MX': {
      const mx = data as MxData
      return {type: 'MX' as const, name, ttl, priority: mx.priority, content: mx.exchange === '.' ? '.' : mx.exchange, comment}
    }
    case 'TXT':
      return {type: 'TXT' as const, name, ttl, content: txtPresentation(data as TxtData), comment}
    case 'A':
    case 'AAAA':
    case 'CNAME':
      // Mail records must be DNS-only: a proxied name would answer with Cloudflare's addresses.
      return {type: change.type, name, ttl, content: toText(change.type, data).replace(/\.$/, ''), proxied: false, comment}
    default:
      return {type: change.type as 'NS' | 'PTR', name, ttl, content: toText(change.type, data).replace(/\.$/, ''), comment}
  }
}

export function createCloudflareHost(settings: CloudflareSettings, deps: CloudflareDeps): DnsHost {
  const zone = canonicalName(deps.zone)
  const baseURL = (settings.baseUrl ?? CLOUDFLARE_API).replace(/\/+$/, '')
  const where = `Cloudflare API${settings.baseUrl ? ` at ${baseURL}` : ''}`
  let client: Cloudflare | undefined
  let sdk: typeof Cloudflare | undefined
  let zoneId = settings.zoneId

  async function connect(): Promise<Cloudflare> {
    assertConnectionAllowed('HTTPS', new URL(baseURL).hostname)
    // Loaded on first use: the SDK takes seconds to import, and most runs never need it.
    sdk ??= (await import('cloudflare')).default
    client ??= new sdk({apiToken: resolveSecret(settings.apiToken, 'dns.cloudflare.apiToken'), baseURL, timeout: deps.timeoutMs ?? 30_000})
    return client
  }

  /** Turns SDK errors into one typed line; the token is in a header, never in these messages. */
  function translate(err: unknown, doing: string): never {
    if (err instanceof UserError) throw err
    if (!sdk) throw err
    if (err instanceof sdk.APIConnectionError) throw new DnsHostError('unreachable', `${where} did not answer while ${doing}`, {cause: err})
    if (err instanceof sdk.APIError) {
      const detail = (err.errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ') || `HTTP ${err.status}`
      if (err.status === 401 || err.status === 403) {
        throw new DnsHostError('auth', `${where} refused the token from ${settings.apiToken} while ${doing} (${detail}); it needs Zone.DNS edit on ${zone}`)
      }
      if (err.status === 404) throw new DnsHostError('zone-not-found', `${where} has no zone ${zone}${zoneId ? ` with id ${zoneId}` : ''} (${detail})`)
      if (err.status === 429) throw new DnsHostError('rate-limited', `${where} is rate-limiting this token (${detail}); wait a few minutes and resume`)
      throw new DnsHostError(err.status !== undefined && err.status >= 500 ? 'unreachable' : 'rejected', `${where} rejected ${doing}: ${detail}`, {cause: err})
    }
    throw new DnsHostError('unreachable', `${where} failed while ${doing}: ${errorMessage(err)}`, {cause: err})
  }

  async function getZoneId(cf: Cloudflare): Promise<string> {
    if (zoneId) return zoneId
    try {
      for await (const z of cf.zones.list({name: zone})) {
        if (canonicalName(z.name) === zone) {
          zoneId = z.id
          return z.id
        }
      }
    } catch (err) {
      translate(err, `looking up zone ${zone}`)
    }
    throw new DnsHostError('zone-not-found', `${where} has no zone named ${zone} visible to the token from ${settings.apiToken}; set dns.cloudflare.zoneId or check the token's zone resources`)
  }

  async function list(name: string, type: string): Promise<CfRecord[]> {
    if (!SUPPORTED.has(type)) throw new DnsHostError('not-supported', `record type ${type} is not supported with Cloudflare by mxcut yet`)
    const cf = await connect()
    const id = await getZoneId(cf)
    const out: CfRecord[] = []
    try {
      for await (const r of cf.dns.records.list({zone_id: id, name: {exact: canonicalName(name)}, type: type as RecordType, per_page: 100})) {
        const rec = r as unknown as CfRecord
        if (canonicalName(rec.name) === canonicalName(name) && rec.type === type) out.push(rec)
      }
    } catch (err) {
      translate(err, `listing ${canonicalName(name)} ${type}`)
    }
    return out
  }

  async function read(name: string, type: string): Promise<RRset | null> {
    const records = await list(name, type)
    if (records.length === 0) return null
    const ttl = Math.min(...records.map((r) => (r.ttl === 1 ? AUTO_TTL : r.ttl)))
    return {name: canonicalName(name), type, ttl, records: records.map(dataOf)}
  }

  async function apply(changes: RecordChange[]): Promise<void> {
    if (changes.length === 0) return
    await checkExpectations({read}, changes)
    const deletes: Array<{id: string}> = []
    const posts: Array<ReturnType<typeof postOf>> = []
    for (const change of changes) {
      for (const r of await list(change.name, change.type)) deletes.push({id: r.id})
      if (change.action === 'replace') for (const data of change.records) posts.push(postOf(change, data))
    }
    const cf = await connect()
    const id = await getZoneId(cf)
    try {
      // One batch runs in one database transaction: deletes first, then posts.
      await cf.dns.records.batch({zone_id: id, deletes, posts: posts as NonNullable<Cloudflare.DNS.RecordBatchParams['posts']>})
    } catch (err) {
      translate(err, `the change to ${zone}`)
    }
  }

  return {name: 'cloudflare', atomic: true, read, apply}
}

export default {
  name: 'cloudflare',
  label: 'cloudflare: Cloudflare API',
  settings: cloudflareSettingsSchema,
  // Cloudflare's API refuses TTLs under 60 s outside Enterprise zones (30 s there); 1 means "Auto" (300 s).
  limits: {minTtl: 60},
  init: {
    questions: [
      {
        flag: 'cloudflare-api-token',
        help: 'API token reference, env:NAME or file:PATH.',
        message: 'API token reference (env:NAME or file:PATH):',
        default: 'env:CLOUDFLARE_API_TOKEN',
        secret: true,
      },
    ],
    settings: (a) => ({apiToken: a['cloudflare-api-token']}),
  },
  create: (settings, deps) => createCloudflareHost(settings, {zone: deps.zone, timeoutMs: deps.requestTimeoutMs}),
} satisfies HostModule<typeof cloudflareSettingsSchema>
