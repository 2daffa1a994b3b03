import {readFile} from 'node:fs/promises'
import {auditDomains, type AuditOptions, type BatchResult} from '../audit/audit.js'
import {summarize} from '../audit/codes.js'
import {auditCsv} from '../audit/csv.js'
import {renderAudit, renderBatchLine} from '../audit/render.js'
import type {AuditReport} from '../audit/types.js'
import {createDnsClient} from '../dns/client.js'
import {parseDomain} from '../dns/names.js'
import {dnsSettings, type DnsFlagValues} from '../dns/settings.js'
import {UserError} from '../lib/errors.js'
import {recordedTargetValues} from '../audit/configured.js'
import {getProfile} from '../profiles/index.js'
import {readTenantRecords} from '../profiles/microsoft-graph.js'
import type {Config} from './config.js'

export interface AuditBatchJson {
  domains: AuditReport[]
  failed: Array<{domain: string; error: string}>
  summary: {error: number; warning: number; info: number}
}

export interface AuditCommandOptions {
  domains: string[]
  /** A file of domains, one a line (# comments), or - for standard input. */
  domainsFile?: string
  /** Print CSV (one row per finding) instead of the text report. */
  csv?: boolean
  /** --to: the target profile, overriding the config's. */
  to?: string
  configPath?: string
  smtp: boolean
  smtpPort: number
  probeTimeoutMs: number
  httpsPort: number
  concurrency: number
  dns: DnsFlagValues
  json: boolean
  log: (line: string) => void
}

/**
 * `mxcut audit`: the domains given (or the config's), against the target the
 * config or --to names, a report per domain; exit 1 on any error finding, 2
 * when a domain could not be audited at all.
 */
export async function runAuditCommand(o: AuditCommandOptions): Promise<{json: AuditReport | AuditBatchJson; exitCode: number}> {
  // The config (and with it every DNS host's settings schema) loads only when one is given.
  const configModule = o.configPath ? await import('./config.js') : null
  const config: Config | null = configModule && o.configPath ? await configModule.loadConfig(o.configPath) : null
  const fromArgs = [...o.domains.map((d) => parseDomain(d)), ...(o.domainsFile ? await readDomainsFile(o.domainsFile) : [])]
  const domains = fromArgs.length > 0 ? fromArgs : config && configModule ? configModule.configDomains(config).map((d) => d.name) : []
  if (domains.length === 0) throw new UserError('give the domain to audit (mxcut audit contoso.com) or a config with --config FILE')
  const unique = [...new Set(domains)]

  const profileId = o.to ?? config?.target.profile
  const profile = profileId ? getProfile(profileId) : null
  if (profile && profile.mx.records.length === 0 && !config) {
    throw new UserError(`the ${profile.id} profile takes its MX from a config: give --config FILE with target.mx (see: mxcut profiles)`)
  }
  // The tenant's own records (Microsoft Graph), read once per domain when the config asks for them.
  const graph = config && profile && getProfile(config.target.profile).id === profile.id ? config.target.graph : undefined
  const tenants = new Map(graph ? await Promise.all(unique.map(async (d) => [d, await readTenantRecords(d, graph, {timeoutMs: Math.max(o.probeTimeoutMs, 10_000)})] as const)) : [])
  const settings = dnsSettings(o.dns, {resolvers: config?.resolvers, nameservers: config?.dns.nameservers})
  const source = config && config.source.profile !== 'auto' ? getProfile(config.source.profile) : undefined
  const base: Omit<AuditOptions, 'target'> = {
    client: createDnsClient({timeoutMs: settings.timeoutMs}),
    ...settings,
    ...(source !== undefined ? {source} : {}),
    smtp: o.smtp,
    smtpPort: o.smtpPort,
    probeTimeoutMs: o.probeTimeoutMs,
    httpsPort: o.httpsPort,
  }
  const results: BatchResult[] = await auditDomains(unique, {
    ...base,
    concurrency: o.concurrency,
    targetFor: (domain: string) => {
      if (!profile) return null
      // The config's per-domain values apply only when it names the same provider.
      if (!config || !configModule || getProfile(config.target.profile).id !== profile.id) return {profile}
      return {profile, overrides: recordedTargetValues(configModule.auditTarget(config, domain, tenants.get(domain)))}
    },
  })

  // A domains file always gets the batch shape, whatever its length: scripts read one shape.
  if (unique.length === 1 && !o.domainsFile && !o.csv) {
    const only = results[0]
    if (!only.ok) throw new UserError(only.error)
    if (!o.json) o.log(renderAudit(only.audit))
    return {json: only.audit.report, exitCode: only.audit.report.summary.error > 0 ? 1 : 0}
  }
  const reports = results.flatMap((r) => (r.ok ? [r.audit.report] : []))
  const failed = results.flatMap((r) => (r.ok ? [] : [{domain: r.domain, error: r.error}]))
  const summary = summarize(reports.flatMap((r) => r.findings))
  if (o.csv) {
    o.log(auditCsv(reports, failed).replace(/\r\n$/, ''))
  } else if (!o.json) {
    for (const r of results) if (r.ok) o.log(renderAudit(r.audit) + '\n')
    for (const r of results) o.log(renderBatchLine(r.domain, r.ok ? r.audit.report.summary : null, r.ok ? undefined : r.error))
  }
  return {json: {domains: reports, failed, summary}, exitCode: failed.length > 0 ? 2 : summary.error > 0 ? 1 : 0}
}

/** Domains from a file (or - for stdin): one a line, blank lines and # comments skipped; a bad line is named. */
export async function readDomainsFile(path: string): Promise<string[]> {
  let text: string
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new UserError(`domains file ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}`)
  }
  const out: string[] = []
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, '').trim()
    if (line === '') continue
    try {
      out.push(parseDomain(line))
    } catch (err) {
      throw new UserError(`domains file ${path} line ${i + 1}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  if (out.length === 0) throw new UserError(`domains file ${path} lists no domain (one a line; # starts a comment)`)
  return out
}

async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  return text
}
