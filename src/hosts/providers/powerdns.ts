import {z} from 'zod'
import {canonicalName} from '../../dns/names.js'
import {errorMessage, UserError} from '../../lib/errors.js'
import {assertConnectionAllowed} from '../../lib/loopback-guard.js'
import {resolveSecret, secretRefSchema} from '../../lib/secrets.js'
import type {RRset} from '../../zone/rrset.js'
import {checkExpectations, fromText, toText} from '../rdata.js'
import {httpUrl} from '../settings.js'
import {DnsHostError, type DnsHost, type DnsHostErrorKind, type HostModule, type RecordChange} from '../types.js'

export const powerdnsSettingsSchema = z.strictObject({
  url: httpUrl.describe('base URL of the PowerDNS API webserver, e.g. http://127.0.0.1:8081'),
  apiKey: secretRefSchema.describe('env:NAME or file:PATH holding the X-API-Key'),
  serverId: z.string().min(1).default('localhost'),
})

export type PowerdnsSettings = z.infer<typeof powerdnsSettingsSchema>

/** The parts of the PowerDNS Authoritative API zone object mxcut reads (GET …/zones/ZONE). */
const zoneSchema = z.object({
  rrsets: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      ttl: z.number().optional(),
      records: z.array(z.object({content: z.string(), disabled: z.boolean().optional()})),
    }),
  ),
})

export interface PowerdnsDeps {
  zone: string
  timeoutMs?: number
}

function kindForStatus(status: number): DnsHostErrorKind {
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'zone-not-found'
  if (status === 429) return 'rate-limited'
  if (status >= 500) return 'unreachable'
  return 'rejected'
}

/** PowerDNS puts its reason in {"error": "…"}; keep it to one line. */
async function reason(res: Response): Promise<string> {
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as {error?: unknown}
    if (typeof body.error === 'string') return body.error.replace(/\s+/g, ' ').slice(0, 300)
  } catch {
    /* not JSON */
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200) || res.statusText
}

export function createPowerdnsHost(settings: PowerdnsSettings, deps: PowerdnsDeps): DnsHost {
  const zone = canonicalName(deps.zone)
  const base = settings.url.replace(/\/+$/, '')
  const zoneUrl = `${base}/api/v1/servers/${encodeURIComponent(settings.serverId)}/zones/${encodeURIComponent(zone + '.')}`
  const timeoutMs = deps.timeoutMs ?? 10_000
  const where = `PowerDNS API at ${base}`

  async function call(method: 'GET' | 'PATCH', body?: unknown): Promise<Response> {
    assertConnectionAllowed('HTTPS', new URL(base).hostname)
    const apiKey = resolveSecret(settings.apiKey, 'dns.powerdns.apiKey')
    let res: Response
    try {
      res = await fetch(zoneUrl, {
        method,
        headers: {'X-API-Key': apiKey, Accept: 'application/json', ...(body ? {'Content-Type': 'application/json'} : {})},
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      if (err instanceof UserError) throw err
      const cause = (err as {cause?: {code?: string; message?: string}}).cause
      throw new DnsHostError('unreachable', `${where} did not answer (${cause?.code ?? cause?.message ?? errorMessage(err)})`, {cause: err})
    }
    if (res.ok) return res
    const kind = kindForStatus(res.status)
    const why = await reason(res)
    const message =
      kind === 'auth'
        ? `${where} refused the API key from ${settings.apiKey} (HTTP ${res.status}); check the key and api-key in pdns.conf`
        : kind === 'zone-not-found'
          ? `${where} has no zone ${zone} on server '${settings.serverId}' (HTTP 404: ${why})`
          : `${where} ${method === 'PATCH' ? 'rejected the change' : 'failed'}: HTTP ${res.status}: ${why}`
    throw new DnsHostError(kind, message)
  }

  async function read(name: string, type: string): Promise<RRset | null> {
    const res = await call('GET')
    const parsed = zoneSchema.safeParse(await res.json().catch(() => null))
    if (!parsed.success) throw new DnsHostError('rejected', `${where} returned a zone object mxcut cannot read`)
    const owner = canonicalName(name)
    const set = parsed.data.rrsets.find((r) => canonicalName(r.name) === owner && r.type === type)
    const records = set?.records.filter((r) => !r.disabled) ?? []
    if (!set || records.length === 0) return null
    return {name: owner, type, ttl: set.ttl ?? 0, records: records.map((r) => fromText(type, r.content))}
  }

  async function apply(changes: RecordChange[]): Promise<void> {
    if (changes.length === 0) return
    // The API has no prerequisites: compare first, then PATCH (PowerDNS applies one PATCH in one transaction).
    await checkExpectations({read}, changes)
    const rrsets = changes.map((c) =>
      c.action === 'replace' && c.records.length > 0
        ? {
            name: canonicalName(c.name) + '.',
            type: c.type,
            ttl: c.ttl,
            changetype: 'REPLACE',
            records: c.records.map((d) => ({content: toText(c.type, d), disabled: false})),
          }
        : {name: canonicalName(c.name) + '.', type: c.type, changetype: 'DELETE'},
    )
    await call('PATCH', {rrsets})
  }

  /** Reading the zone proves the API key and that the server has the zone; nothing changes. */
  async function check(): Promise<void> {
    await call('GET')
  }

  return {name: 'powerdns', atomic: true, read, apply, check}
}

export default {
  name: 'powerdns',
  label: 'powerdns: PowerDNS HTTP API',
  settings: powerdnsSettingsSchema,
  limits: {minTtl: 1},
  init: {
    questions: [
      {flag: 'powerdns-url', help: 'API URL.', message: 'PowerDNS API URL:', default: 'http://127.0.0.1:8081'},
      {flag: 'powerdns-api-key', help: 'API key reference, env:NAME or file:PATH.', message: 'API key reference (env:NAME or file:PATH):', default: 'env:PDNS_API_KEY', secret: true},
    ],
    settings: (a) => ({url: a['powerdns-url'], apiKey: a['powerdns-api-key']}),
  },
  create: (settings, deps) => createPowerdnsHost(settings, {zone: deps.zone, timeoutMs: deps.requestTimeoutMs}),
} satisfies HostModule<typeof powerdnsSettingsSchema>
