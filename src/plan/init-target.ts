import {bounded} from '../lib/bounded.js'
import {errorMessage, UserError} from '../lib/errors.js'
import {SECRET_REF} from '../lib/secrets.js'
import type {Profile} from '../profiles/index.js'
import type {TenantRecords} from '../profiles/tenant.js'
import {parseMx} from '../zone/rrset.js'

/**
 * `mxcut init`'s questions about the target: its MX, verification TXT, DKIM
 * records and parameters. Nothing is pre-filled that the admin did not type
 * or the tenant did not say: an empty MX answer leaves target.mx out of the
 * config (the plan then uses the profile's documented value and says so),
 * and values the provider assigns are asked for, never proposed.
 */

export type AskFn = (flag: string, q: {message: string; default?: string; check?: (v: string) => void}) => Promise<string>

export interface TargetAnswers {
  /** "PREFERENCE HOST" lines typed (or given with --mx); empty: target.mx left out. */
  mx: string[]
  verification: string | null
  /** null: the profile asks for no DKIM value; false: left out of the plan; a list: published. */
  dkim: false | Array<{selector: string; type: 'CNAME' | 'TXT'; value: string}> | null
  region: string | null
  /** The Microsoft Graph token reference, when the tenant's records are read from Graph. */
  graphToken: string | null
  /** What the tenant said, for the notes and the file's comments. */
  tenant: TenantRecords | null
}

export interface TargetDeps {
  mxFlag?: string[]
  dkimFlag?: string[]
  prompter: {note(text: string): void} | null
  readTenant?: (domain: string, token: string) => Promise<TenantRecords>
}

export const checkMx = (v: string) => {
  for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    const mx = parseMx(part)
    if (!mx || mx.exchange === '.') throw new UserError(`--mx '${bounded(part)}' must be "PREFERENCE HOST", e.g. "10 mx1.provider.example"`)
  }
}

const here = (text: string, domain: string) => text.replaceAll('DOMAIN', domain)

async function askGraph(profile: Profile, domain: string, ask: AskFn, deps: TargetDeps): Promise<{token: string | null; tenant: TenantRecords | null}> {
  if (profile.tenant?.api !== 'microsoft-graph' || !deps.readTenant) return {token: null, tenant: null}
  const token = await ask('graph-token', {
    message: "Microsoft Graph token to read the tenant's records (env:NAME or file:PATH, Domain.Read.All; empty to skip):",
    default: '',
    check: (v) => {
      if (v.trim() !== '' && !SECRET_REF.test(v.trim())) throw new UserError('--graph-token must be a reference, env:NAME or file:PATH, never the token itself')
    },
  })
  if (!token) return {token: null, tenant: null}
  let tenant: TenantRecords
  try {
    tenant = await deps.readTenant(domain, token)
  } catch (err) {
    throw new UserError(errorMessage(err), {cause: err})
  }
  deps.prompter?.note(
    `${tenant.source} lists for ${domain}: MX ${tenant.mx.map((m) => `${m.priority} ${m.exchange}`).join(', ') || '(none)'}, SPF include ${tenant.spfInclude ?? '(none)'}, verification ${tenant.verification ?? '(none: verified already)'}${tenant.autodiscover ? `, autodiscover ${tenant.autodiscover}` : ''}. The plan reads them again from Graph.`,
  )
  return {token, tenant}
}

async function askMx(profile: Profile, domain: string, ask: AskFn, deps: TargetDeps, tenant: TenantRecords | null, region: string | null): Promise<string[]> {
  if (deps.mxFlag?.length) {
    const text = deps.mxFlag.join(',')
    checkMx(text)
    return text.split(',').map((x) => x.trim()).filter(Boolean)
  }
  if (tenant?.mx.length) return []
  const documented = profile.mx.records.length > 0 && (region !== null || Object.keys(profile.parameters).length === 0)
  const text = await ask('mx', {
    message: documented
      ? `Target MX as shown at ${here(profile.mx.where, domain)} ("PREFERENCE HOST"; empty: the profile's documented value, checked by the audit):`
      : `Target MX as shown at ${here(profile.mx.where, domain)} ("PREFERENCE HOST", comma-separated):`,
    ...(documented ? {default: ''} : {}),
    check: checkMx,
  })
  const mx = text.split(',').map((x) => x.trim()).filter(Boolean)
  if (mx.length === 0 && !documented) throw new UserError(`--mx is required for ${profile.name}: give "PREFERENCE HOST" from ${here(profile.mx.where, domain)}`)
  return mx
}

async function askVerification(profile: Profile, domain: string, ask: AskFn, tenant: TenantRecords | null): Promise<string | null> {
  if (tenant) return null
  const prefix = profile.verification?.prefix
  const where = profile.verification ? ` from ${here(profile.verification.where, domain)}` : ''
  const value = await ask('verification', {
    message: `Domain-verification TXT${where}${prefix ? ` (starts with ${prefix}; empty to skip)` : ' (empty to skip)'}:`,
    default: '',
    check: (v) => {
      if (v.trim() !== '' && prefix && !v.trim().startsWith(prefix)) throw new UserError(`--verification must start with ${prefix}`)
    },
  })
  return value || null
}

function parseDkim(items: string[], profile: Profile): Array<{selector: string; type: 'CNAME' | 'TXT'; value: string}> {
  return items.map((item) => {
    const at = item.indexOf('=')
    const selector = item.slice(0, at).trim()
    const value = item.slice(at + 1).trim()
    if (at <= 0 || !/^[a-z0-9][a-z0-9-]*$/i.test(selector) || value === '') throw new UserError(`--dkim '${item}' must be SELECTOR=VALUE, e.g. selector1=<the CNAME target copied from the provider>`)
    const type = profile.dkim?.records.find((r) => r.selector === selector)?.type ?? profile.dkim?.records[0]?.type ?? 'CNAME'
    return {selector, type, value}
  })
}

/** DKIM values the provider assigns: asked for (or --dkim), never proposed; empty leaves DKIM out of the plan. */
async function askDkim(profile: Profile, domain: string, ask: AskFn, deps: TargetDeps): Promise<TargetAnswers['dkim']> {
  const records = profile.dkim?.records ?? []
  if (!profile.dkim || records.every((r) => r.selector && r.value)) return null
  if (deps.dkimFlag?.length) return parseDkim(deps.dkimFlag, profile)
  const where = here(profile.dkim.where, domain)
  const named = records.filter((r) => r.selector && !r.value)
  if (named.length === records.length) {
    const out: Array<{selector: string; type: 'CNAME' | 'TXT'; value: string}> = []
    for (const r of named) {
      const value = await ask(`dkim-${r.selector}`, {message: `DKIM ${r.selector}._domainkey ${r.type} value from ${where} (empty: leave DKIM out of this plan):`, default: ''})
      if (!value) return false
      out.push({selector: r.selector ?? '', type: r.type, value})
    }
    return out
  }
  const text = await ask('dkim', {message: `DKIM records from ${where}, as SELECTOR=VALUE separated by commas (empty: leave DKIM out of this plan):`, default: ''})
  return text ? parseDkim(text.split(',').map((x) => x.trim()).filter(Boolean), profile) : false
}

async function askRegion(profile: Profile, ask: AskFn): Promise<string | null> {
  const spec = profile.parameters.region
  if (!spec) return null
  return ask('region', {
    message: `Region: ${spec.description} (e.g. ${spec.examples.join(', ')}):`,
    check: (v) => {
      if (!new RegExp(spec.pattern).test(v.trim())) throw new UserError(`--region '${v}' is not ${spec.description} (e.g. ${spec.examples.join(', ')})`)
    },
  })
}

export async function askTarget(profile: Profile, domain: string, ask: AskFn, deps: TargetDeps): Promise<TargetAnswers> {
  const graph = await askGraph(profile, domain, ask, deps)
  const region = await askRegion(profile, ask)
  const mx = await askMx(profile, domain, ask, deps, graph.tenant, region)
  const verification = await askVerification(profile, domain, ask, graph.tenant)
  const dkim = await askDkim(profile, domain, ask, deps)
  return {mx, verification, dkim, region, graphToken: graph.token, tenant: graph.tenant}
}
