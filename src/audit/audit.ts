import {answerText} from '../dns/records.js'
import pLimit from 'p-limit'
import type {DnsClient} from '../dns/client.js'
import {queryWithTcpFallback} from '../dns/fallback.js'
import {canonicalName} from '../dns/names.js'
import type {DnsServer, ServerSpec} from '../dns/server.js'
import {errorMessage, UserError} from '../lib/errors.js'
import {detectProfile, type Profile} from '../profiles/index.js'
import {inspectDomain, serverName} from '../zone/inspect.js'
import {questionKey, type ServerView} from '../zone/read.js'
import {txtTexts} from '../zone/rrset.js'
import {finding, sortFindings, summarize} from './codes.js'
import {auditDane} from './dane.js'
import {auditDkim} from './dkim.js'
import {auditDaneTarget, auditDnssec, signatureHorizonSeconds} from './dnssec.js'
import {auditDmarcAt} from './dmarc.js'
import {createLookup, describeStatus, isDefinite, type LookupCache, type LookupFn} from './lookup.js'
import {auditMtaSts} from './mta-sts.js'
import {auditMx} from './mx.js'
import {auditNs} from './ns.js'
import {auditSpf} from './spf.js'
import {checkReverseDns, hostsJson, probeMxHosts, sourceFindings, type MxHostReport} from './mx-hosts.js'
import {tlsProbe} from './mx-probe.js'
import {auditStartTls} from './starttls.js'
import {auditTargetMx, auditVerification, resolveTarget, type ResolvedTarget, type TargetOverrides, type TargetHostReport} from './target.js'
import type {AuditReport, Finding} from './types.js'

export interface AuditOptions {
  client: DnsClient
  resolvers: ServerSpec[]
  nameservers: DnsServer[]
  timeoutMs: number
  /** The provider mail moves to; null audits the domain alone. */
  target: {profile: Profile; overrides?: TargetOverrides} | null
  /** The provider mail moves from: detected from today's MX unless named. */
  source?: Profile | null
  smtp: boolean
  smtpPort: number
  /** For each SMTP reply and for the MTA-STS policy fetch. */
  probeTimeoutMs: number
  /** MTA-STS policy port (443; tests use another). */
  httpsPort?: number
  /** Extra CA certificates (PEM) for the MTA-STS policy host and the STARTTLS certificate check. */
  ca?: string
  /** Shared between the domains of one run. */
  cache?: LookupCache
  /** Milliseconds since the epoch (signature validity). */
  now?: () => number
  /** How long RRSIGs on the records a cutover touches must stay valid; default: twice the MX TTL plus a day. */
  signatureHorizonSeconds?: number
}

export interface DomainAudit {
  report: AuditReport
  targetHosts: TargetHostReport[]
  /** Today's MX hosts (those that are not also the target's). */
  sourceHosts: MxHostReport[]
}

export async function auditDomain(rawDomain: string, options: AuditOptions): Promise<DomainAudit> {
  const domain = canonicalName(rawDomain)
  const target = options.target ? resolveTarget(options.target.profile, domain, options.target.overrides) : null
  const {report, views} = await inspectDomain(domain, {client: options.client, resolvers: options.resolvers, nameservers: options.nameservers, timeoutMs: options.timeoutMs, ...(options.now ? {now: options.now} : {})})
  const live = views.filter((v) => v.reachable && v.authoritative)
  const findings: Finding[] = []
  const notes: string[] = []

  let nsNames: string[] = []
  if (live.length > 0) {
    const ns = await queryWithTcpFallback(options.client, live[0].server, report.zone, 'NS', {recursion: false, timeoutMs: options.timeoutMs})
    nsNames = [...new Set(ns.answers.filter((a) => a.type === 'NS' && a.name === report.zone).map((a) => String(a.data)))].sort()
  }
  findings.push(...auditNs(report, views, nsNames))

  const source = options.source === undefined ? detectProfile(report.mx.records.map((m) => m.exchange)) : options.source
  const base = {
    domain,
    target: target?.profile.id ?? null,
    zone: report.zone,
    source: source?.id ?? null,
    ...(target ? {targetMx: target.mx.map((m) => ({priority: m.priority, exchange: m.exchange}))} : {}),
  }
  if (live.length === 0) {
    findings.push(finding('CHECK_INCOMPLETE', report.zone, `no authoritative server of ${report.zone} answered, so the mail records could not be read; fix the name servers (or --nameserver) and run the audit again.`))
    const sorted = sortFindings(findings)
    return {report: {...base, findings: sorted, summary: summarize(sorted), notes}, targetHosts: [], sourceHosts: []}
  }

  const lookup = createLookup({
    client: options.client,
    zone: report.zone,
    authoritative: live.map((v) => v.server),
    resolvers: options.resolvers,
    timeoutMs: options.timeoutMs,
    cache: options.cache,
  })

  findings.push(...auditMx(report))
  const nowMs = options.now?.() ?? Date.now()
  findings.push(...auditDnssec(domain, report.zone, report.dnssec, {nowMs, horizonSeconds: options.signatureHorizonSeconds ?? signatureHorizonSeconds(report.mx.ttl)}))
  const targetHostNames = target ? target.mx.map((m) => m.exchange) : []
  const sourceHosts = report.mx.records.map((m) => m.exchange).filter((x) => x !== '.')

  const apex = apexTxt(views, domain)
  findings.push(...apex.partial)
  const probe = options.smtp ? {recipient: `postmaster@${domain}`, port: options.smtpPort, timeoutMs: options.probeTimeoutMs, ...(options.ca ? {ca: options.ca} : {})} : null
  const targetSet = new Set(targetHostNames.map((x) => canonicalName(x)))
  const [spf, dmarc, dkim, targetMx, mtaSts, dane, daneTarget, sourceMx] = await Promise.all([
    auditSpf({domain, txt: apex.texts, ...(apex.failure ? {txtFailure: apex.failure} : {}), targetInclude: target?.spfInclude ?? null, targetName: target?.profile.name, lookup}),
    auditDmarcAt(domain, report.zone, lookup),
    target ? auditDkim(domain, target, lookup) : Promise.resolve([]),
    target
      ? auditTargetMx(domain, target, lookup, {smtp: options.smtp, smtpPort: options.smtpPort, probeTimeoutMs: options.probeTimeoutMs, ...(options.ca ? {ca: options.ca} : {})})
      : Promise.resolve({findings: [], hosts: []}),
    auditMtaSts({domain, lookup, targetHosts: targetHostNames, sourceHosts, fetch: {timeoutMs: options.probeTimeoutMs, port: options.httpsPort, ca: options.ca}}),
    auditDane(sourceHosts, targetHostNames, lookup),
    target ? auditDaneTarget(domain, target, report.dnssec, lookup) : Promise.resolve([]),
    // Every host a sender may pick today, unless it is also the target's (probed above).
    probeMxHosts('source', report.mx.records.filter((m) => !targetSet.has(canonicalName(m.exchange))), lookup, probe),
  ])
  const [tls, ptr] = await Promise.all([
    auditStartTls(targetMx.hosts.map((h) => ({exchange: h.exchange, probe: tlsProbe(h.probes)})), {stsEnforce: mtaSts.policy?.mode === 'enforce', lookup}),
    checkReverseDns([...targetMx.hosts, ...sourceMx], lookup, target?.profile ?? null),
  ])
  findings.push(...spf, ...dmarc, ...dkim, ...targetMx.findings, ...sourceFindings(domain, sourceMx), ...mtaSts.findings, ...dane, ...daneTarget, ...tls, ...ptr)
  if (target) {
    const verification = await verificationTxt(domain, target, apex, lookup)
    // With the TXT unread, "verification TXT absent" would be a guess: the failure is already a CHECK_INCOMPLETE.
    if (verification.kind === 'read') findings.push(...auditVerification(domain, target, verification.texts))
    else if (verification.kind === 'failed') findings.push(verification.finding)
    if (!target.mxFromConfig) notes.push(...target.profile.notes)
    if (source?.id === target.profile.id) notes.push(`Today's MX already points at ${target.profile.name}: there may be nothing to cut over.`)
    if (!options.smtp) notes.push('The SMTP probe of the target MX was skipped (--no-smtp).')
  }
  if (!options.smtp && sourceMx.length > 0) notes.push("The SMTP probe of today's MX hosts was skipped (--no-smtp).")
  const sorted = sortFindings(findings)
  const hosts = hostsJson([...targetMx.hosts, ...sourceMx])
  return {report: {...base, findings: sorted, summary: summarize(sorted), notes, hosts}, targetHosts: targetMx.hosts, sourceHosts: sourceMx}
}

/** The TXT records where the target's verification goes: the apex (already read) or its own name (Amazon WorkMail's _amazonses). */
async function verificationTxt(domain: string, target: ResolvedTarget, apex: {texts: string[]; failure?: string}, lookup: LookupFn): Promise<{kind: 'read'; texts: string[]} | {kind: 'failed'; finding: Finding} | {kind: 'apex-failed'}> {
  const name = target.verification?.name
  if (!name || name === domain) return apex.failure ? {kind: 'apex-failed'} : {kind: 'read', texts: apex.texts}
  const r = await lookup(name, 'TXT')
  if (!isDefinite(r.status)) return {kind: 'failed', finding: finding('CHECK_INCOMPLETE', `${name} TXT`, `the verification TXT at ${name} ${describeStatus(r)}; check it again before the cutover.`)}
  return {kind: 'read', texts: r.answers.filter((a) => a.type === 'TXT' && a.name === name).map((a) => answerText(a))}
}

/**
 * The apex TXT records as the zone's servers serve them: from the first
 * server that answered. When none did, `failure` names the name and the
 * servers; when only some did, each that failed is a CHECK_INCOMPLETE (its
 * askers get no SPF record and no verification TXT while it fails).
 */
function apexTxt(views: readonly ServerView[], domain: string): {texts: string[]; failure?: string; partial: Finding[]} {
  const key = questionKey(domain, 'TXT')
  const live = views.filter((v) => v.reachable && v.authoritative)
  const answered = live.find((v) => isDefinite(v.answers[key]?.status ?? 'error'))
  const failed = live.filter((v) => !isDefinite(v.answers[key]?.status ?? 'error'))
  const how = (v: ServerView) => `${v.answers[key]?.error ?? v.answers[key]?.status ?? 'not asked'} from ${serverName({name: v.server.host, address: v.server.address, port: v.server.port})}`
  if (!answered) {
    return {texts: [], failure: `the TXT question for ${domain} failed at every authoritative server (${failed.map(how).join('; ')})`, partial: []}
  }
  const partial = failed.map((v) =>
    finding('CHECK_INCOMPLETE', `${domain} TXT`, `the TXT question for ${domain} failed (${how(v)}) while other authoritative servers answered it; resolvers that ask that server find no SPF or verification record, so fix it and run the audit again.`),
  )
  return {texts: txtTexts(answered.answers[key]?.rrset), partial}
}

export type BatchResult = {domain: string; ok: true; audit: DomainAudit} | {domain: string; ok: false; error: string}

/** Several domains at once, at most `concurrency` in flight; one domain's failure does not stop the others. */
export async function auditDomains(
  domains: readonly string[],
  options: Omit<AuditOptions, 'target'> & {concurrency: number; targetFor: (domain: string) => AuditOptions['target']},
): Promise<BatchResult[]> {
  const limit = pLimit(Math.max(1, options.concurrency))
  const cache: LookupCache = options.cache ?? new Map()
  return Promise.all(
    domains.map((domain) =>
      limit(async (): Promise<BatchResult> => {
        try {
          return {domain, ok: true, audit: await auditDomain(domain, {...options, target: options.targetFor(domain), cache})}
        } catch (err) {
          if (err instanceof UserError) return {domain, ok: false, error: errorMessage(err)}
          throw err
        }
      }),
    ),
  )
}
