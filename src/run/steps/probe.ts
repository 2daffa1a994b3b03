import {errorMessage} from '../../lib/errors.js'
import {formatInstant} from '../../lib/time.js'
import {decommissionSafe} from '../../state/decommission.js'
import type {ProbedMxHost} from '../types.js'
import type {StepContext, StepHandler, StepResult} from './types.js'

/**
 * An smtp-probe step: the MX hosts it names, every address, as a sender
 * reaches them (src/audit/mx-probe.ts, never DATA). Right before the swap a
 * target that refuses the domain stops the run, since the swap would bounce
 * its mail; after the swap the source is probed, and a refusal is said
 * loudly, since resolvers still send senders to it until the
 * decommission-safe time and a rollback would not help.
 */
export const probeStep: StepHandler = async (ctx) => {
  const {plan, step, deps} = ctx
  const spec = step.probe
  if (!spec) return {kind: 'failed', message: `step ${step.id} names no MX hosts to probe; make the plan again`}
  if (!deps.probeMx) return {kind: 'failed', message: `step ${step.id}: this run cannot probe SMTP; nothing was changed`}
  let hosts: ProbedMxHost[]
  try {
    hosts = await deps.probeMx({domain: plan.domain, zone: plan.zone, role: spec.role, hosts: spec.hosts})
  } catch (err) {
    return {kind: 'failed', message: `step ${step.id}: the SMTP probe could not run (${errorMessage(err)}); nothing was changed; try again with: ${ctx.options.resumeCommand}`}
  }
  const rows = hosts.flatMap((h) => h.addresses)
  for (const r of rows) deps.ui.info(`  ${r.priority} ${r.exchange} ${r.address}: ${r.result} (${r.reply})${r.starttls ? ', STARTTLS' : ''}`)
  for (const h of hosts) if (h.unresolved) deps.ui.info(`  ${h.priority} ${h.exchange}: ${h.unresolved.message}`)
  const refused = rows.filter((r) => r.result === 'bounce')
  const evidence = {role: spec.role, at: new Date(deps.clock.now()).toISOString(), hosts: rows, unresolved: hosts.flatMap((h) => (h.unresolved ? [{exchange: h.exchange, ...h.unresolved}] : []))}
  await deps.journal.append({event: 'smtp-probe', step: step.id, role: spec.role, refused: refused.map((r) => `${r.exchange} ${r.address}`), message: `${rows.length} address${rows.length === 1 ? '' : 'es'} probed, ${refused.length} refused`})
  return spec.role === 'target' ? targetOutcome(ctx, hosts, evidence) : sourceOutcome(ctx, hosts, evidence)
}

const list = (rows: ProbedMxHost['addresses']) => rows.map((r) => `${r.exchange} (${r.address}): ${r.reply}`).join('; ')

function targetOutcome({plan, step, deps, options}: StepContext, hosts: ProbedMxHost[], evidence: unknown): StepResult {
  const rows = hosts.flatMap((h) => h.addresses)
  const refused = rows.filter((r) => r.result === 'bounce')
  if (refused.length > 0 && step.probe?.onRefusal === 'stop') {
    return {
      kind: 'failed',
      message: `${step.id}: the target refuses mail for ${plan.domain}: ${list(refused)}; after the swap that mail would bounce, so nothing was changed: finish adding ${plan.domain} at the target (an accepted domain), then: ${options.resumeCommand}`,
    }
  }
  // Only a refusal is known to bounce mail; a host without an address is the pre-flight audit's TARGET_MX_UNRESOLVABLE, said again here.
  for (const h of hosts.filter((x) => x.unresolved)) deps.ui.warn(`${step.id}: ${h.unresolved?.message}${h.unresolved?.definite ? ': senders cannot deliver to it after the swap; check the target MX' : ''}`)
  const untested = rows.filter((r) => r.result === 'unreachable' || r.result === 'defer')
  if (untested.length > 0) deps.ui.warn(`${step.id}: not every target address could be tested from here (${list(untested)}); port 25 is often blocked from admin networks: confirm with the provider that it accepts mail for ${plan.domain}`)
  const accepted = rows.filter((r) => r.result === 'accept').length
  const unresolved = hosts.filter((h) => h.unresolved).length
  return {
    kind: 'done',
    evidence,
    summary: `${accepted} of ${rows.length} target address${rows.length === 1 ? '' : 'es'} accept RCPT TO:<postmaster@${plan.domain}>${untested.length > 0 ? `; ${untested.length} could not be tested from here` : ''}${unresolved > 0 ? `; ${unresolved} host${unresolved === 1 ? ' has' : 's have'} no address` : ''}`,
  }
}

function sourceOutcome({plan, step, deps}: StepContext, hosts: ProbedMxHost[], evidence: unknown): StepResult {
  const rows = hosts.flatMap((h) => h.addresses)
  const refused = rows.filter((r) => r.result === 'bounce')
  const safe = decommissionSafe(plan)
  const now = deps.clock.now()
  const until = safe ? formatInstant(safe.at) : 'the decommission-safe time'
  const over = safe !== null && safe.at <= now
  if (refused.length > 0 && !over) {
    deps.ui.warn(`${step.id}: the source refuses mail for ${plan.domain} (${list(refused)}) while resolvers may still send senders to it until ${until}: make it accept the domain's mail again until then, or that mail bounces`)
  }
  const accepted = rows.filter((r) => r.result === 'accept').length
  const state = refused.length > 0 ? `${refused.length} of ${rows.length} source address${rows.length === 1 ? '' : 'es'} refuse mail for ${plan.domain}` : `${accepted} of ${rows.length} source address${rows.length === 1 ? '' : 'es'} accept mail for ${plan.domain}`
  const next = over ? `the decommission-safe time (${until}) has passed: the source may be switched off` : `keep it accepting mail until ${until}`
  return {kind: 'done', evidence, summary: `${state}; ${next}`}
}
