import https from 'node:https'
import {canonicalName} from '../dns/names.js'
import {answerText} from '../dns/records.js'
import {errorMessage} from '../lib/errors.js'
import {assertConnectionAllowed} from '../lib/loopback-guard.js'
import {formatDuration} from '../lib/time.js'
import {finding} from './codes.js'
import {describeChain, describeStatus, followCname, isDefinite, resolveHost, type LookupFn} from './lookup.js'
import type {Finding} from './types.js'

/** MTA-STS (RFC 8461): the _mta-sts TXT, the policy file, and matching MX hosts against it. */

export interface MtaStsPolicy {
  version: 'STSv1'
  mode: 'enforce' | 'testing' | 'none'
  mx: string[]
  maxAge: number
}

export function isStsTxt(txt: string): boolean {
  return /^v=STSv1\s*(;|$)/.test(txt)
}

/** The id of a "v=STSv1; id=…" record, or an error (RFC 8461 §3.1). */
export function parseStsTxt(txt: string): {ok: true; id: string} | {ok: false; error: string} {
  if (!isStsTxt(txt)) return {ok: false, error: 'does not start with "v=STSv1"'}
  const fields = txt.split(';').map((f) => f.trim()).filter(Boolean)
  const id = fields.map((f) => /^id\s*=\s*(.*)$/.exec(f)).find((m) => m !== null)
  if (!id) return {ok: false, error: 'has no id= field'}
  if (!/^[a-zA-Z0-9]{1,32}$/.test(id[1])) return {ok: false, error: `id=${id[1]} must be 1 to 32 letters and digits`}
  return {ok: true, id: id[1]}
}

const MAX_AGE_LIMIT = 31_557_600

/** Parses the policy body (RFC 8461 §3.2): "key: value" lines, LF or CRLF; unknown keys ignored. */
export function parseStsPolicy(body: string): {ok: true; policy: MtaStsPolicy} | {ok: false; error: string} {
  const fields: Record<string, string[]> = {}
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.replace(/[ \t]+$/, '')
    if (line === '') continue
    const m = /^([a-zA-Z0-9_]+):[ \t]*(.*)$/.exec(line)
    if (!m) return {ok: false, error: `line ${JSON.stringify(line.slice(0, 60))} is not "key: value"`}
    ;(fields[m[1]] ??= []).push(m[2])
  }
  const one = (key: string) => (fields[key]?.length === 1 ? fields[key][0] : undefined)
  if (fields.version?.length !== 1 || one('version') !== 'STSv1') return {ok: false, error: 'version: must appear once, as STSv1'}
  const mode = one('mode')
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return {ok: false, error: 'mode: must appear once, as enforce, testing or none'}
  const maxAge = one('max_age')
  if (maxAge === undefined || !/^\d{1,10}$/.test(maxAge) || Number(maxAge) > MAX_AGE_LIMIT) {
    return {ok: false, error: `max_age: must appear once, as 0 to ${MAX_AGE_LIMIT} seconds`}
  }
  const mx = (fields.mx ?? []).map((p) => canonicalName(p))
  if (mode !== 'none' && mx.length === 0) return {ok: false, error: 'no mx: line (required unless mode is none)'}
  for (const p of mx) {
    if (!/^(\*\.)?([a-z0-9-]+\.)+[a-z0-9-]+$/.test(p)) return {ok: false, error: `mx: ${p} is not a host name or *.wildcard`}
  }
  return {ok: true, policy: {version: 'STSv1', mode, mx, maxAge: Number(maxAge)}}
}

/** "*.example.com" covers exactly one more label on the left (RFC 8461 §4.1). */
export function mxMatches(pattern: string, host: string): boolean {
  const p = canonicalName(pattern)
  const h = canonicalName(host)
  if (!p.startsWith('*.')) return p === h
  const dot = h.indexOf('.')
  return dot > 0 && h.slice(dot + 1) === p.slice(2)
}

export interface PolicyFetchOptions {
  lookup: LookupFn
  timeoutMs: number
  /** 443 unless a test says otherwise. */
  port?: number
  /** Extra trusted CA certificates (PEM); NODE_EXTRA_CA_CERTS works too. */
  ca?: string
}

export type PolicyFetch = {ok: true; body: string; url: string; address: string} | {ok: false; url: string; error: string}

/**
 * GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt with the host resolved
 * through our own DNS path and the certificate checked against the name, as
 * a sending MTA would: no redirects, 200 only, text/plain (RFC 8461 §3.3).
 */
export async function fetchStsPolicy(domain: string, options: PolicyFetchOptions): Promise<PolicyFetch> {
  const host = `mta-sts.${canonicalName(domain)}`
  const port = options.port ?? 443
  const url = `https://${host}${port === 443 ? '' : `:${port}`}/.well-known/mta-sts.txt`
  const resolved = await resolveHost(options.lookup, host)
  if (resolved.addresses.length === 0) return {ok: false, url, error: `${host} ${describeStatus(resolved)}`}
  const errors: string[] = []
  // IPv4 first: admin networks reach it more often than IPv6.
  const ordered = [...resolved.addresses].sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')))
  for (const address of ordered) {
    const r = await getOnce(host, address, port, options)
    if (r.ok) return {ok: true, body: r.body, url, address}
    errors.push(`${address}: ${r.error}`)
  }
  return {ok: false, url, error: errors.join('; ')}
}

function getOnce(host: string, address: string, port: number, options: PolicyFetchOptions): Promise<{ok: true; body: string} | {ok: false; error: string}> {
  assertConnectionAllowed('HTTPS', address)
  return new Promise((resolve) => {
    let settled = false
    const done = (r: {ok: true; body: string} | {ok: false; error: string}) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      resolve(r)
    }
    const req = https.request({
      host: address,
      port,
      path: '/.well-known/mta-sts.txt',
      method: 'GET',
      servername: host,
      headers: {host, 'user-agent': 'mxcut (MTA-STS policy check)'},
      agent: false,
      ...(options.ca ? {ca: options.ca} : {}),
    })
    const timer = setTimeout(() => done({ok: false, error: `no complete answer within ${options.timeoutMs} ms`}), options.timeoutMs)
    req.on('error', (err) => done({ok: false, error: errorMessage(err)}))
    req.on('response', (res) => {
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400) return done({ok: false, error: `HTTP ${status} redirect to ${res.headers.location ?? '?'}: senders do not follow redirects (RFC 8461 §3.3)`})
      if (status !== 200) return done({ok: false, error: `HTTP ${status}`})
      const type = String(res.headers['content-type'] ?? '')
      if (!/^text\/plain\s*(;|$)/i.test(type)) return done({ok: false, error: `Content-Type is '${type || 'missing'}', not text/plain`})
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        body += c
        if (body.length > 64 * 1024) done({ok: false, error: 'policy larger than 64 KiB'})
      })
      res.on('end', () => done({ok: true, body}))
      res.on('error', (err) => done({ok: false, error: errorMessage(err)}))
    })
    req.end()
  })
}

export interface MtaStsAuditInput {
  domain: string
  lookup: LookupFn
  /** Target MX hosts the policy must cover once the swap is done; empty without a target. */
  targetHosts: string[]
  /** Today's MX hosts, which an enforce policy must cover now. */
  sourceHosts?: string[]
  fetch: Omit<PolicyFetchOptions, 'lookup'>
}

export interface MtaStsAudit {
  findings: Finding[]
  /** The policy senders would apply today, when one is published and valid. */
  policy: MtaStsPolicy | null
}

/**
 * The _mta-sts TXT (through its CNAME, the delegation RFC 8461 §8.2
 * describes), the policy it announces, and whether an enforce policy covers
 * today's MX hosts and the target's.
 */
export async function auditMtaSts(input: MtaStsAuditInput): Promise<MtaStsAudit> {
  const txtName = `_mta-sts.${input.domain}`
  const txt = await followCname(input.lookup, txtName, 'TXT')
  const none = (findings: Finding[]): MtaStsAudit => ({findings, policy: null})
  if (txt.broken) return none([finding('MTA_STS_POLICY_UNREACHABLE', `${txtName} TXT`, `${txtName} ${describeStatus(txt)}, so senders cannot discover the MTA-STS policy (those that cached it keep enforcing it); point the CNAME at the provider's _mta-sts record.`)])
  if (!isDefinite(txt.status)) return none([finding('CHECK_INCOMPLETE', `${txtName} TXT`, `the MTA-STS record ${describeChain(txt)} ${describeStatus(txt)}: a failed lookup is not a missing record; run the audit again.`)])
  const records = txt.records.map(answerText).filter(isStsTxt)
  if (records.length === 0) return none([])
  const policyHost = `mta-sts.${input.domain}`
  const fetched = await fetchStsPolicy(input.domain, {...input.fetch, lookup: input.lookup})
  if (!fetched.ok) {
    return none([finding('MTA_STS_POLICY_UNREACHABLE', policyHost, `${describeChain(txt)} announces an MTA-STS policy but ${fetched.url} cannot be fetched (${fetched.error}); fix the policy host, or remove the TXT record, before the cutover.`)])
  }
  const parsed = parseStsPolicy(fetched.body)
  if (!parsed.ok) {
    return none([finding('MTA_STS_POLICY_UNREACHABLE', policyHost, `the MTA-STS policy at ${fetched.url} is invalid (${parsed.error}), so senders cannot use it; publish a valid policy with a new id in ${txtName}.`)])
  }
  const policy = parsed.policy
  if (policy.mode !== 'enforce') return {findings: [], policy}
  const ids = records.map((r) => parseStsTxt(r)).flatMap((r) => (r.ok ? [r.id] : []))
  const fix = (hosts: string[]) => `add ${hosts.map((h) => `"mx: ${h}"`).join(', ')} to the policy and publish ${txtName} TXT "v=STSv1; id=${newPolicyId()}"${ids.length ? ` (today id=${ids[0]})` : ''}`
  const findings: Finding[] = []
  const uncoveredSource = (input.sourceHosts ?? []).filter((h) => h !== '.' && !covers(policy, h))
  if (uncoveredSource.length > 0) {
    findings.push(finding('MTA_STS_POLICY_SOURCE_MISMATCH', fetched.url, `the MTA-STS policy is in enforce mode and does not cover today's MX host${uncoveredSource.length > 1 ? 's' : ''} ${uncoveredSource.join(', ')}, so senders that enforce it refuse to deliver there now; ${fix(uncoveredSource)}, or remove ${uncoveredSource.length > 1 ? 'those hosts' : 'that host'} from the MX records.`))
  }
  const uncovered = input.targetHosts.filter((h) => !covers(policy, h))
  if (uncovered.length > 0) {
    findings.push(
      finding(
        'MTA_STS_POLICY_MX_MISMATCH',
        fetched.url,
        `the MTA-STS policy is in enforce mode and does not cover ${uncovered.join(', ')}, so senders would refuse to deliver to the new MX; ${fix(uncovered)}, and do it at least max_age (${policy.maxAge} s, ${formatDuration(policy.maxAge)}) before the swap, because senders cache the old policy that long.`,
      ),
    )
  }
  return {findings, policy}
}

function covers(policy: MtaStsPolicy, host: string): boolean {
  return policy.mx.some((p) => mxMatches(p, host))
}

/** A fresh policy id: the time, to the second, in digits (RFC 8461 §3.1 allows 1 to 32 letters and digits). */
function newPolicyId(): string {
  return new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)
}
