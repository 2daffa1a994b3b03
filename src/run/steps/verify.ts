import {formatDuration} from '../../lib/time.js'
import {mxTtlAt, replacedMxTtl} from '../../state/queries.js'
import type {StepHandler} from './types.js'

/**
 * Until every authoritative server and every resolver serves the expected MX,
 * for at most the TTL a resolver may still hold the replaced RRset, plus the
 * margin and the time the servers get to converge.
 */
export const verifyStep: StepHandler = async ({plan, step, sequence, deps}) => {
  const now = () => deps.clock.now()
  const replaced = replacedMxTtl(plan, sequence, step, startTtl(plan, sequence))
  const current = mxTtlAt(plan, sequence, step, startTtl(plan, sequence))
  const cacheSeconds = Math.max(replaced ?? 0, current ?? 0) || 300
  const timeoutMs = (cacheSeconds + plan.config.ttl.margin) * 1000 + (deps.timing?.convergeTimeoutMs ?? 300_000)
  const ac = new AbortController()
  const onInterrupt = () => ac.abort()
  deps.interrupt?.addEventListener('abort', onInterrupt)
  deps.failpoint?.(`during-verify:${step.id}`)
  let result
  try {
    const running = deps.verify({domain: plan.domain, expected: step.expectMx ?? [], publishedTtl: replaced, deadline: now() + timeoutMs, signal: ac.signal})
    await deps.ui.countdown(`${step.title}: until every resolver serves the ${sequence === plan.steps ? 'new' : 'original'} MX`, now() + timeoutMs, now, running.then(() => undefined, () => undefined))
    result = await running
  } finally {
    deps.interrupt?.removeEventListener('abort', onInterrupt)
  }
  await deps.journal.append({event: 'verify', step: step.id, converged: result.converged, message: result.summary})
  if (result.aborted) return {kind: 'paused', reason: `interrupted during verification: ${result.summary}`}
  if (!result.converged) return {kind: 'failed', message: `step ${step.id}: not converged after ${formatDuration(timeoutMs / 1000)}: ${result.pending.join('; ') || result.summary}; resume to check again`}
  return {kind: 'done', summary: result.summary, evidence: result.evidence}
}

/** The MX TTL before the first step of the sequence: what the plan observed, or what a rollback procedure starts from. */
function startTtl(plan: Parameters<StepHandler>[0]['plan'], sequence: Parameters<StepHandler>[0]['sequence']): number | null {
  if (sequence === plan.steps) return plan.observed.mx.ttl
  const first = sequence.flatMap((s) => s.changes ?? []).find((c) => c.type === 'MX')
  return first?.before?.ttl ?? plan.observed.mx.ttl
}
