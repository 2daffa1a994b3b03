import {parseDomain} from '../dns/names.js'
import {getHostModule, hostModules} from '../hosts/registry.js'
import type {HostModule} from '../hosts/types.js'
import {errorMessage, UserError} from '../lib/errors.js'
import {SECRET_REF} from '../lib/secrets.js'
import {formatSeconds} from '../lib/time.js'
import {allProfiles, detectProfile, getProfile} from '../profiles/index.js'
import type {TenantRecords} from '../profiles/tenant.js'
import type {InspectReport} from '../zone/inspect.js'
import {DEFAULT_RESOLVERS, parseResolvers} from '../dns/server.js'
import {parseConfigText, parseDurationText} from './config.js'
import {askTarget, type TargetAnswers} from './init-target.js'
import {RESOLVER_TTL_FLOOR} from './preparation.js'

/**
 * `mxcut init`: the questions, their flags, and the defaults read from live
 * DNS. Every question has a flag; without a terminal a missing answer that
 * has no default is an error naming the flag.
 */

export interface InitFlags {
  domain?: string
  to?: string
  mx?: string[]
  verification?: string
  region?: string
  'graph-token'?: string
  /** SELECTOR=VALUE, repeatable: DKIM values copied from the provider. */
  dkim?: string[]
  'dns-host'?: string
  'lowered-ttl'?: string
  'final-ttl'?: string
  strategy?: string
  resolver?: string[]
  nameserver?: string[]
  /** The hosts' own flags (--tsig-secret, …), as their modules name them. */
  [hostFlag: string]: unknown
}

export interface Choice {
  value: string
  name: string
  description?: string
}

/** The prompts the wizard needs; @inquirer/prompts in a terminal, null without one. */
export interface Prompter {
  input(q: {message: string; default?: string; validate?: (value: string) => true | string}): Promise<string>
  select(q: {message: string; choices: Choice[]; default?: string}): Promise<string>
  note(text: string): void
}

export interface InitAnswers {
  domain: string
  profile: string
  mx: string[]
  verification: string | null
  /** null: the profile asks for no DKIM value; false: DKIM left out of the plan; a list: published. */
  dkim: TargetAnswers['dkim']
  region: string | null
  /** env:/file: reference of the Microsoft Graph token, when the tenant's records are read from Graph. */
  graphToken: string | null
  host: string
  /** The dns.<host> block as answered; null for a host without settings. */
  hostSettings: unknown
  lowered: number
  final: number | null
  strategy: 'replace' | 'staged'
  /** What DNS said, for the comments of the file. */
  today: {mx: string; ttl: number | null; source: string | null} | null
  /** --graph-endpoint given to init (a national cloud, a test server). */
  graphEndpoint?: string | null
  /** --resolver / --nameserver given to init: the plan and run must ask the same servers. */
  resolvers?: string[]
  nameservers?: string[]
}

function validator(check: (v: string) => void): (v: string) => true | string {
  return (v) => {
    try {
      check(v)
      return true
    } catch (err) {
      return errorMessage(err)
    }
  }
}

const checkSecret = (flag: string) => (v: string) => {
  if (!SECRET_REF.test(v.trim())) throw new UserError(`--${flag} must be a reference, env:NAME or file:PATH, never the secret itself`)
}
const checkTtl = (flag: string) => (v: string) => {
  const s = parseDurationText(v)
  if (s === null || s < 1 || s > 604800) throw new UserError(`--${flag} must be seconds or a duration such as 300, 5m, 1h (1 s to 7 d)`)
}
type Ask = (flag: string, q: {message: string; default?: string; check?: (v: string) => void}) => Promise<string>

/** The host's own questions, in the order its module lists them, made into its dns.<host> block. */
async function askHost(host: HostModule, ask: Ask): Promise<unknown> {
  if (host.settings === null) return null
  const answers: Record<string, string> = {}
  for (const q of host.init.questions) {
    answers[q.flag] = await ask(q.flag, {message: q.message, default: q.default, check: q.secret ? checkSecret(q.flag) : undefined})
  }
  return host.init.settings(answers)
}

/**
 * Asks (or takes from flags) every answer. `read` reads today's DNS for the
 * domain; its failure only removes the defaults it would have given.
 */
export async function collectAnswers(
  input: InitFlags,
  prompter: Prompter | null,
  read: (domain: string, resolvers: string[]) => Promise<InspectReport>,
  readTenant?: (domain: string, token: string) => Promise<TenantRecords>,
  warn: (text: string) => void = () => undefined,
): Promise<InitAnswers> {
  // --to takes the names audit --to takes (m365, workmail, google, …): the menu's ids are what a profile is called.
  const flags: InitFlags = typeof input.to === 'string' ? {...input, to: getProfile(input.to).id} : input
  const ask: Ask = async (flag, q) => {
    const given = flags[flag]
    if (typeof given === 'string') {
      q.check?.(given)
      return given.trim()
    }
    if (!prompter) {
      if (q.default !== undefined) return q.default
      throw new UserError(`--${flag} is required when there is no terminal to ask (${q.message.replace(/[:?]$/, '')})`)
    }
    return (await prompter.input({message: q.message, default: q.default, validate: q.check ? validator(q.check) : undefined})).trim()
  }
  const choose = async (flag: string, q: {message: string; choices: Choice[]; default?: string}): Promise<string> => {
    const given = flags[flag]
    if (typeof given === 'string') {
      if (!q.choices.some((c) => c.value === given)) throw new UserError(`--${flag} must be one of ${q.choices.map((c) => c.value).join(', ')}`)
      return given
    }
    if (!prompter) {
      if (q.default !== undefined) return q.default
      throw new UserError(`--${flag} is required when there is no terminal to ask (one of ${q.choices.map((c) => c.value).join(', ')})`)
    }
    return prompter.select(q)
  }

  const domain = parseDomain(await ask('domain', {message: 'Domain whose mail moves:', check: (v) => parseDomain(v)}))
  const resolvers = await askResolvers(flags, prompter)
  let report: InspectReport | null = null
  try {
    report = await read(domain, resolvers.list)
  } catch (err) {
    // Without today's DNS nothing is guessed: the TTLs are read again when planning.
    const text = `Could not read today's DNS of ${domain} (${errorMessage(err)}); continuing without its defaults. Check the resolvers (--resolver) or name the authoritative servers (--nameserver).`
    if (prompter) prompter.note(text)
    else warn(text)
  }
  const todayMx = report ? (report.mx.nullMx ? 'null MX (0 .)' : report.mx.records.map((m) => `${m.priority} ${m.exchange}`).join(', ') || 'none') : null
  const source = report ? detectProfile(report.mx.records.map((m) => m.exchange)) : null
  if (report) {
    prompter?.note(
      `Today ${domain} has MX ${todayMx}${report.mx.ttl !== null ? ` with TTL ${formatSeconds(report.mx.ttl)}` : ''}; ${source ? `that is ${source.name}` : 'no known provider'}; served by ${report.nameservers.length} authoritative server${report.nameservers.length === 1 ? '' : 's'}${report.consistent ? '' : ' that disagree'}.`,
    )
  }

  const profiles = allProfiles().filter((p) => p.id !== source?.id && p.kind !== 'gateway')
  if (source && typeof flags.to === 'string' && flags.to === source.id) {
    throw new UserError(`${domain} already receives its mail at ${source.name} (today's MX ${todayMx}); choose another --to`)
  }
  const profileId = getProfile(
    await choose('to', {message: 'Provider mail moves to:', choices: profiles.map((p) => ({value: p.id, name: p.name}))}),
  ).id
  const profile = getProfile(profileId)
  const target = await askTarget(profile, domain, ask, {mxFlag: flags.mx, dkimFlag: flags.dkim, prompter, readTenant})

  const host = getHostModule(
    await choose('dns-host', {message: 'How are DNS changes made?', default: 'manual', choices: hostModules.map((h) => ({value: h.name, name: h.label}))}),
  )
  const hostSettings = await askHost(host, ask)

  const loweredText = await ask('lowered-ttl', {message: 'MX TTL during the cutover (seconds or 5m):', default: '300', check: checkTtl('lowered-ttl')})
  if ((parseDurationText(loweredText) ?? 300) < RESOLVER_TTL_FLOOR) {
    const text = `A lowered TTL under ${RESOLVER_TTL_FLOOR} s is clamped up by many resolvers (cache-min-ttl): caches may keep the old MX longer than it says; 60 to 300 s is honoured.`
    if (prompter) prompter.note(text)
    else warn(text)
  }
  const observedTtl = report?.mx.ttl ?? null
  // Never a guessed number: today's TTL when it was read, else empty (the planner reads it live).
  const finalText = await ask('final-ttl', {
    message: observedTtl !== null ? 'MX TTL after the cutover:' : "MX TTL after the cutover (empty: today's, read when planning):",
    default: observedTtl !== null ? String(observedTtl) : '',
    check: (v) => (v.trim() === '' ? undefined : checkTtl('final-ttl')(v)),
  })
  const strategy = (await choose('strategy', {
    message: 'Strategy:',
    default: 'replace',
    choices: [
      {value: 'replace', name: 'replace: swap the whole MX RRset in one update'},
      {value: 'staged', name: "staged: add the target as backup, probe it, promote it, then remove the source (Microsoft's sequence)"},
    ],
  })) as 'replace' | 'staged'

  const final = finalText.trim() === '' ? null : parseDurationText(finalText)
  let lowered = parseDurationText(loweredText) ?? 300
  // A TTL already below the lowered one stays where it is (the planner then skips the lowering).
  if (final !== null && lowered > final) lowered = final
  return {
    domain,
    profile: profile.id,
    mx: target.mx,
    verification: target.verification,
    dkim: target.dkim,
    region: target.region,
    graphToken: target.graphToken,
    host: host.name,
    hostSettings,
    lowered,
    final: final !== null && final === observedTtl ? null : final,
    strategy,
    today: report ? {mx: todayMx ?? 'none', ttl: observedTtl, source: source?.name ?? null} : null,
    ...(resolvers.explicit ? {resolvers: resolvers.list} : {}),
    ...(flags.nameserver?.length ? {nameservers: flags.nameserver} : {}),
  }
}

/**
 * Which resolvers to read today's DNS through and to watch during the
 * cutover: --resolver, or asked (the public set proposed, or none with
 * --nameserver); never silently the public ones in a terminal.
 */
async function askResolvers(flags: InitFlags, prompter: Prompter | null): Promise<{list: string[]; explicit: boolean}> {
  const check = (list: string[]) => {
    if (list.length > 0) parseResolvers(list)
  }
  if (flags.resolver?.length) {
    check(flags.resolver)
    return {list: flags.resolver, explicit: true}
  }
  const fallback = flags.nameserver?.length ? [] : DEFAULT_RESOLVERS
  if (!prompter) return {list: fallback, explicit: false}
  const split = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean)
  prompter.note('mxcut reads today\'s DNS through resolvers and watches them during the cutover: IP[:PORT], https://… (DoH), or google, cloudflare, quad9, opendns; comma-separated, empty for none.')
  const answer = await prompter.input({
    message: 'Resolvers to use:',
    default: fallback.join(', '),
    validate: validator((v) => check(split(v))),
  })
  return {list: split(answer), explicit: true}
}

const q = (v: string) => JSON.stringify(v)

function yamlValue(v: unknown, indent: string): string {
  if (v && typeof v === 'object') return '\n' + Object.entries(v).map(([k, x]) => `${indent}  ${k}:${x && typeof x === 'object' ? yamlValue(x, indent + '  ') : ` ${typeof x === 'string' ? q(x) : String(x)}`}`).join('\n')
  return ` ${typeof v === 'string' ? q(v) : String(v)}`
}

/** The target block's lines: only what the admin typed or the tenant will say; DKIM left out is said out loud. */
function targetLines(a: InitAnswers): string[] {
  const profile = getProfile(a.profile)
  const lines: string[] = []
  if (a.graphToken) {
    lines.push('  graph:', `    token: ${q(a.graphToken)}        # MX, SPF, autodiscover and verification are read from Microsoft Graph`)
    if (a.graphEndpoint) lines.push(`    endpoint: ${q(a.graphEndpoint)}`)
  }
  if (a.region) lines.push(`  region: ${q(a.region)}`)
  if (a.mx.length > 0) lines.push(`  mx: [${a.mx.map(q).join(', ')}]`)
  else if (!a.graphToken) lines.push(`  # mx: the profile's documented value for ${a.domain}; the value shown at ${profile.mx.where.replaceAll('DOMAIN', a.domain)} wins: put it here`)
  if (a.verification) lines.push(`  verification: ${q(a.verification)}`)
  if (a.dkim === false) lines.push(`  dkim: false        # left out: copy the records from ${profile.dkim?.where.replaceAll('DOMAIN', a.domain) ?? 'the provider'} into target.dkim to publish them`)
  else if (a.dkim) {
    lines.push('  dkim:')
    for (const d of a.dkim) lines.push(`    - {selector: ${q(d.selector)}, type: ${d.type}, value: ${q(d.value)}}`)
  }
  return lines
}

/** The config file, commented, validated against the schema before it is returned. */
export function configYaml(a: InitAnswers, path = `plans/${a.domain}.yaml`, now: Date = new Date()): string {
  const lines = [
    '# yaml-language-server: $schema=mxcut-config.schema.json',
    `# Written by mxcut init on ${now.toISOString().slice(0, 10)}.${a.today ? ` Today: MX ${a.today.mx}${a.today.ttl !== null ? `, TTL ${a.today.ttl} s` : ''}${a.today.source ? ` (${a.today.source})` : ''}.` : ''}`,
    `# Next: mxcut plan ${path}`,
    'version: 1',
    `domain: ${a.domain}`,
    'target:',
    `  profile: ${a.profile}`,
    ...targetLines(a),
    'source:',
    `  profile: auto${a.today?.source ? `        # ${a.today.source}, detected from today's MX` : ''}`,
    `strategy: ${a.strategy}`,
    'ttl:',
    `  lowered: ${a.lowered}`,
    ...(a.final !== null ? [`  final: ${a.final}`] : [`  # final: the MX TTL observed when planning${a.today?.ttl ? ` (${a.today.ttl} s today)` : ''}`]),
    '  margin: 60',
    'dns:',
    `  host: ${a.host}`,
    ...(a.hostSettings ? [`  ${a.host}:${yamlValue(a.hostSettings, '  ')}`] : []),
    ...(a.nameservers?.length ? [`  nameservers: [${a.nameservers.map(q).join(', ')}]`] : []),
    ...(a.resolvers?.length ? [`resolvers: [${a.resolvers.map(q).join(', ')}]`] : []),
    '',
  ]
  const text = lines.join('\n')
  parseConfigText(text, path)
  return text
}
