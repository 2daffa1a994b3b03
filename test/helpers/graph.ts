import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {createTestCa, type TestCa} from './tls.js'

/**
 * A local HTTPS server that speaks the few Microsoft Graph v1.0 calls mxcut
 * makes, with the documented shapes (learn.microsoft.com/graph/api:
 * "List serviceConfigurationRecords", "List verificationDnsRecords", the
 * domainDnsRecord resources, the {error: {code, message}} error body,
 * @odata.nextLink paging, 429 with Retry-After). It proves what mxcut sends
 * and how it reads the answers, not that Microsoft agrees.
 */

export interface GraphDomain {
  service: Array<Record<string, unknown>>
  verification: Array<Record<string, unknown>>
}

export interface FakeGraph {
  /** https://127.0.0.1:PORT/v1.0 */
  endpoint: string
  ca: TestCa
  token: string
  /** A token Graph accepts that lacks Domain.Read.All. */
  weakToken: string
  domains: Map<string, GraphDomain>
  requests: Array<{method: string; path: string; auth: string | undefined}>
  /** Answer the next N requests with 429. */
  throttle(n: number): void
  close(): Promise<void>
}

/** The records Microsoft 365 lists for a domain, as the documentation shows them (plus the non-Email ones mxcut must skip). */
export function m365Domain(domain: string, mxHost: string, ms: string): GraphDomain {
  const label = domain
  return {
    service: [
      {'@odata.type': '#microsoft.graph.domainDnsMxRecord', isOptional: false, label, recordType: 'Mx', supportedService: 'Email', ttl: 3600, mailExchange: mxHost, preference: 0},
      {'@odata.type': '#microsoft.graph.domainDnsTxtRecord', isOptional: false, label, recordType: 'Txt', supportedService: 'Email', ttl: 3600, text: 'v=spf1 include:spf.protection.outlook.com -all'},
      {'@odata.type': '#microsoft.graph.domainDnsCnameRecord', isOptional: false, label: `autodiscover.${domain}`, recordType: 'CName', supportedService: 'Email', ttl: 3600, canonicalName: 'autodiscover.outlook.com'},
      {'@odata.type': '#microsoft.graph.domainDnsCnameRecord', isOptional: false, label: `enterpriseregistration.${domain}`, recordType: 'CName', supportedService: 'Intune', ttl: 3600, canonicalName: 'enterpriseregistration.windows.net'},
      {'@odata.type': '#microsoft.graph.domainDnsSrvRecord', isOptional: false, label: domain, recordType: 'Srv', supportedService: 'OfficeCommunicationsOnline', ttl: 3600, nameTarget: 'sipdir.online.lync.com', port: 443, priority: 100, protocol: '_tls', service: '_sip', weight: 1},
    ],
    verification: [
      {'@odata.type': '#microsoft.graph.domainDnsTxtRecord', isOptional: false, label, recordType: 'Txt', supportedService: null, ttl: 3600, text: ms},
      {'@odata.type': '#microsoft.graph.domainDnsMxRecord', isOptional: false, label, recordType: 'Mx', supportedService: null, ttl: 3600, mailExchange: `${ms.slice(3)}.msv1.invalid`, preference: 32767},
    ],
  }
}

export async function startFakeGraph(): Promise<FakeGraph> {
  const ca = createTestCa()
  const {key, cert} = ca.issue(['localhost', '127.0.0.1'])
  const token = 'graph-contract-token-' + Math.random().toString(36).slice(2)
  const weakToken = 'graph-weak-token-' + Math.random().toString(36).slice(2)
  const domains = new Map<string, GraphDomain>()
  const requests: FakeGraph['requests'] = []
  let throttled = 0
  let base = ''
  const server = https.createServer({key, cert}, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x')
    requests.push({method: req.method ?? '', path: url.pathname + url.search, auth: req.headers.authorization})
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {'content-type': 'application/json', ...headers})
      res.end(JSON.stringify(body))
    }
    const error = (status: number, code: string, message: string) => send(status, {error: {code, message, innerError: {date: new Date().toISOString(), 'request-id': 'fake'}}})
    if (throttled > 0) {
      throttled -= 1
      return send(429, {error: {code: 'TooManyRequests', message: 'Too many requests'}}, {'retry-after': '0'})
    }
    if (req.headers.authorization === `Bearer ${weakToken}`) return error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
    if (req.headers.authorization !== `Bearer ${token}`) return error(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.')
    const m = /^\/v1\.0\/domains\/([^/]+)\/(serviceConfigurationRecords|verificationDnsRecords)$/.exec(url.pathname)
    if (req.method !== 'GET' || !m) return error(400, 'BadRequest', 'Resource not found for the segment.')
    const d = domains.get(decodeURIComponent(m[1]))
    if (!d) return error(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`)
    const list = m[2] === 'serviceConfigurationRecords' ? d.service : d.verification
    // Two pages, linked by @odata.nextLink, as Graph pages long collections.
    const page = Number(url.searchParams.get('$skiptoken') ?? '0')
    const size = 2
    const value = list.slice(page * size, page * size + size)
    const next = (page + 1) * size < list.length ? `${base}${url.pathname}?$skiptoken=${page + 1}` : undefined
    send(200, {'@odata.context': `${base}/$metadata#Collection(microsoft.graph.domainDnsRecord)`, value, ...(next ? {'@odata.nextLink': next} : {})})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    endpoint: `${base}/v1.0`,
    ca,
    token,
    weakToken,
    domains,
    requests,
    throttle: (n) => {
      throttled = n
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
