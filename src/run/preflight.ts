import type {Finding} from '../audit/types.js'
import {errorMessage} from '../lib/errors.js'
import type {PlanState, Step} from '../state/schema.js'
import {readLive, serverName} from './live.js'
import type {RunnerDeps} from './types.js'

/**
 * Error findings a later step takes care of, for plans written before steps
 * recorded it themselves (Step.handles): these do not stop the pre-flight
 * when that step is in the plan.
 */
const LEGACY_HANDLED_BY: Record<string, string> = {
  TARGET_VERIFICATION_MISSING: 'publish-companions',
  MTA_STS_POLICY_MX_MISMATCH: 'update-mta-sts-policy',
}

type RecordedFinding = PlanState['findings'][number]

export type PreflightResult = {ok: true; summary: string; evidence: unknown} | {ok: false; message: string}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
const key = (f: {code: string; subject: string}) => `${f.code} ${f.subject}`

/**
 * The pre-flight (an audit step): every authoritative server answers and
 * serves one serial, then the audit runs again live, since a plan may wait
 * days before it runs. An error finding stops the plan unless a step still
 * to come takes care of it.
 */
export async function runPreflight(plan: PlanState, sequence: readonly Step[], index: number, deps: RunnerDeps, resumeCommand: string): Promise<PreflightResult> {
  const read = await readLive(deps.client, plan.zone, deps.authServers, [], {timeoutMs: deps.timing?.queryTimeoutMs})
  const down = read.views.filter((v) => !v.reachable || !v.authoritative)
  if (down.length > 0) return {ok: false, message: `pre-flight: ${down.map((v) => `${serverName(v.server)} ${v.error ?? 'is not usable'}`).join('; ')}`}
  const serials = [...new Set(read.serials.map((s) => s.serial))]
  if (serials.length > 1) {
    return {ok: false, message: `pre-flight: the authoritative servers serve different SOA serials (${read.serials.map((s) => `${s.server} ${s.serial}`).join(', ')}); wait for the zone transfers or fix them`}
  }
  const agree = read.serials.length === 1 ? `the 1 authoritative server serves serial ${serials[0]}` : `${read.serials.length} authoritative servers agree on serial ${serials[0]}`

  const settings = plan.preflight
  let findings: RecordedFinding[]
  let source: 'live' | 'recorded' | 'none'
  if (!settings) {
    // A plan from before the pre-flight settings were recorded: only its planning-time findings are known.
    findings = plan.findings
    source = 'recorded'
  } else if (!settings.audit) {
    findings = []
    source = 'none'
  } else {
    if (!deps.audit) return {ok: false, message: 'pre-flight: this run has no audit to run; nothing was changed'}
    try {
      findings = (await deps.audit({domain: plan.domain, settings})).map((f: Finding) => ({code: f.code, severity: f.severity, message: f.message, subject: f.subject}))
    } catch (err) {
      return {ok: false, message: `pre-flight: the audit could not run (${errorMessage(err)}); nothing was changed; try again with: ${resumeCommand}`}
    }
    source = 'live'
  }

  const later = sequence.slice(index + 1).filter((s) => s.status !== 'done' && s.status !== 'skipped')
  const recordsHandles = plan.steps.some((s) => s.handles !== undefined)
  const handler = (code: string): Step | undefined =>
    recordsHandles ? later.find((s) => s.handles?.includes(code)) : later.find((s) => s.id === LEGACY_HANDLED_BY[code])
  const errors = findings.filter((f) => f.severity === 'error')
  const handled = errors.flatMap((f) => {
    const s = handler(f.code)
    return s ? [{code: f.code, subject: f.subject, step: s.id}] : []
  })
  const blocking = errors.filter((f) => !handler(f.code))
  const recorded = new Set(plan.findings.map(key))
  const evidence = {
    servers: read.serials,
    audit: {
      source,
      findings: findings.map((f) => ({code: f.code, severity: f.severity, subject: f.subject, message: f.message})),
      handled,
      blocking: blocking.map((f) => ({code: f.code, subject: f.subject})),
    },
  }

  if (blocking.length > 0) {
    const lines = [
      `pre-flight: the ${source === 'live' ? 'audit' : 'audit made with the plan'} found ${plural(blocking.length, 'error')} that no later step handles: ${blocking.map((f) => `${f.code} (${f.subject})`).join(', ')}`,
      ...blocking.map((f) => `  ${f.code} ${f.subject}${source === 'live' && !recorded.has(key(f)) ? ' (new since the plan was made)' : ''}: ${f.message}`),
      source === 'live'
        ? `nothing was changed; fix ${blocking.length === 1 ? 'it' : 'them'}, then run again: ${resumeCommand}`
        : 'nothing was changed; fix them and make a new plan',
    ]
    return {ok: false, message: lines.join('\n')}
  }

  for (const h of handled) deps.ui.info(`${h.code} (${h.subject}): handled by ${h.step}`)
  const warnings = findings.filter((f) => f.severity === 'warning')
  const audit =
    source === 'none'
      ? 'no audit (the plan was made with --no-audit)'
      : `${source === 'live' ? 'audit' : 'audit made with the plan'}: ${handled.length > 0 ? `${plural(handled.length, 'error')} handled by later steps` : 'no errors'}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')} (${[...new Set(warnings.map((f) => f.code))].join(', ')})` : ''}`
  return {ok: true, summary: `${audit}; ${agree}`, evidence}
}
