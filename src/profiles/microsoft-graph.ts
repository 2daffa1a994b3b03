import https from 'node:https'
import {isIP} from 'node:net'
import {z} from 'zod'
import {canonicalName} from '../dns/names.js'
import {errorMessage, UserError} from '../lib/errors.js'
import {assertConnectionAllowed, loopbackOnly, LoopbackOnlyError} from '../lib/loopback-guard.js'
import {resolveSecret} from '../lib/secrets.js'
import type {TenantRecords} from './tenant.js'

/**
 * Microsoft Graph, v1.0: the DNS records a domain of the tenant needs
 * (GET /domains/{id}/serviceConfigurationRecords) and its verification TXT
 * (GET /domains/{id}/verificationDnsRecords), with the documented
 * domainDnsRecord shapes. Needs a token with Domain.Read.All; the token is
 * read from its env:/file: reference for each call and never stored or shown.
 */

export const GRAPH_ENDPOINT = 'https://graph.microsoft.com/v1.0'

export interface GraphSettings {
  /** env:NAME or file:PATH of a bearer token for https://graph.microsoft.com. */
  token: string
  /** Default https://graph.microsoft.com/v1.0; national clouds have their own. */
  endpoint?: string
}

export interface GraphOptions {
  timeoutMs?: number
  /** Extra CA certificates (PEM), for a private endpoint. */
  ca?: string
  /** Where the token setting lives, for messages (target.graph.token). */
  field?: string
}

const dnsRecord = z.looseObject({
  recordType: z.string(),
  label: z.string().optional(),
  supportedService: z.string().nullable().optional(),
  isOptional: z.boolean().optional(),
  ttl: z.number().optional(),
  mailExchange: z.string().optional(),
  preference: z.number().nullable().optional(),
  text: z.string().optional(),
  canonicalName: z.string().optional(),
})
const collection = z.looseObject({value: z.array(dnsRecord), '@odata.nextLink': z.string().optional()})
type DnsRecord = z.infer<typeof dnsRecord>

const errorBody = z.looseObject({error: z.looseObject({code: z.string().optional(), message: z.string().optional()})})

function guard(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (url.protocol !== 'https:') throw new UserError(`target.graph.endpoint must be an https:// URL (got ${url.origin})`)
  if (isIP(host) !== 0 || host === 'localhost') assertConnectionAllowed('HTTPS', host)
  else if (loopbackOnly()) throw new LoopbackOnlyError('HTTPS', url.host)
}

interface Reply {
  status: number
  body: string
  retryAfter: number | null
}

function get(url: URL, token: string, options: GraphOptions): Promise<Reply> {
  guard(url)
  const timeoutMs = options.timeoutMs ?? 15_000
  return new Promise((resolve, reject) => {
    const req = https.request(url, {method: 'GET', headers: {authorization: `Bearer ${token}`, accept: 'application/json'}, ...(options.ca ? {ca: options.ca} : {})}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => {
        clearTimeout(timer)
        const retry = Number(res.headers['retry-after'])
        resolve({status: res.statusCode ?? 0, body, retryAfter: Number.isFinite(retry) ? retry : null})
      })
      res.on('error', (err) => reject(err))
    })
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(new UserError(`Microsoft Graph at ${url.origin} did not answer (${errorMessage(err)}); check the network or target.graph.endpoint`, {cause: err}))
    })
    req.end()
  })
}

function failure(reply: Reply, domain: string, path: string, field: string): UserError {
  let code = ''
  let message = ''
  try {
    const parsed = errorBody.safeParse(JSON.parse(reply.body))
    if (parsed.success) ({code = '', message = ''} = parsed.data.error)
  } catch {
    /* not JSON */
  }
  const said = `HTTP ${reply.status}${code ? ` ${code}` : ''}${message ? `: ${message.slice(0, 160)}` : ''}`
  if (reply.status === 401) return new UserError(`Microsoft Graph refused the token in ${field} (${said}): it is expired or not issued for https://graph.microsoft.com; get a new one (az account get-access-token --resource-type ms-graph) and run again`)
  if (reply.status === 403) return new UserError(`Microsoft Graph denied reading ${path} (${said}): the token needs the Domain.Read.All permission (or the Domain Name Administrator / Global Reader role)`)
  if (reply.status === 404) return new UserError(`Microsoft Graph knows no domain ${domain} in this tenant (${said}): add it in the Microsoft 365 admin center (Settings › Domains) or check the domain name`)
  return new UserError(`Microsoft Graph answered ${said} for ${path}; try again later`)
}

/** Every page of one collection of domainDnsRecord objects. */
async function list(base: string, domain: string, what: string, token: string, options: GraphOptions): Promise<DnsRecord[]> {
  const path = `/domains/${encodeURIComponent(domain)}/${what}`
  let url: URL | null = new URL(base.replace(/\/+$/, '') + path)
  const out: DnsRecord[] = []
  for (let page = 0, retries = 0; url && page < 50; ) {
    const reply = await get(url, token, options)
    if (reply.status === 429 && retries < 3) {
      retries += 1
      // Graph throttles with 429 and says when to come back (Retry-After, seconds).
      await new Promise((r) => setTimeout(r, Math.min(reply.retryAfter ?? 2, 30) * 1000))
      continue
    }
    if (reply.status !== 200) throw failure(reply, domain, path, options.field ?? 'target.graph.token')
    let parsed
    try {
      parsed = collection.parse(JSON.parse(reply.body))
    } catch {
      throw new UserError(`Microsoft Graph answered ${path} with something that is not a list of domainDnsRecord objects`)
    }
    out.push(...parsed.value)
    url = parsed['@odata.nextLink'] ? new URL(parsed['@odata.nextLink']) : null
    page += 1
  }
  return out
}

const isEmail = (r: DnsRecord) => (r.supportedService ?? '').toLowerCase() === 'email'
const type = (r: DnsRecord) => r.recordType.toLowerCase()

/** The Email records of a domain as Microsoft Graph lists them, in mxcut's terms. */
export function tenantRecordsFrom(domain: string, service: DnsRecord[], verification: DnsRecord[], now: Date): TenantRecords {
  const d = canonicalName(domain)
  const mx = service
    .filter((r) => isEmail(r) && type(r) === 'mx' && r.mailExchange)
    .map((r) => ({priority: r.preference ?? 0, exchange: canonicalName(r.mailExchange ?? '')}))
  const spf = service.find((r) => isEmail(r) && type(r) === 'txt' && /^v=spf1\b/i.test(r.text ?? ''))
  // Graph's documented example writes "include: spf.protection.outlook.com": tolerate the space.
  const include = /\binclude:\s*([^\s]+)/i.exec(spf?.text ?? '')?.[1] ?? null
  const autodiscover = service.find((r) => type(r) === 'cname' && canonicalName(r.label ?? '') === `autodiscover.${d}` && r.canonicalName)
  const txt = verification.find((r) => type(r) === 'txt' && /^MS=/i.test(r.text ?? ''))
  return {
    source: 'Microsoft Graph',
    domain: d,
    mx,
    spfInclude: include ? canonicalName(include) : null,
    autodiscover: autodiscover?.canonicalName ? canonicalName(autodiscover.canonicalName) : null,
    verification: txt?.text?.trim() ?? null,
    readAt: now.toISOString(),
  }
}

/** Reads what the tenant says the domain needs. Throws a one-line UserError on any failure: a guess is never the fallback. */
export async function readTenantRecords(domain: string, settings: GraphSettings, options: GraphOptions = {}, now: () => Date = () => new Date()): Promise<TenantRecords> {
  const field = options.field ?? 'target.graph.token'
  const token = resolveSecret(settings.token, field)
  const base = settings.endpoint ?? GRAPH_ENDPOINT
  const d = canonicalName(domain)
  const [service, verification] = await Promise.all([
    list(base, d, 'serviceConfigurationRecords', token, {...options, field}),
    list(base, d, 'verificationDnsRecords', token, {...options, field}),
  ])
  return tenantRecordsFrom(d, service, verification, now())
}
