import {canonicalName} from '../dns/names.js'
import type {RollbackPlan, RollbackProcedure, RRsetChange, RRsetJson, Step} from '../state/schema.js'
import {sameData, sameRRset} from '../zone/rrset.js'
import {mxSet, SWAP_STEP_IDS, type PlanContext} from './context.js'

/**
 * The rollback, planned with the cutover: for every forward step after which
 * the MX is no longer the original, the steps that bring it back. Stored in
 * the plan, shown by the review and run as stored by `mxcut rollback`.
 *
 * The original records return at the TTL the cutover ran at (so a second
 * thought is as cheap as the first), every resolver is verified to serve
 * them, and only then does the TTL go back to what it was.
 */
export function planRollback(ctx: PlanContext): RollbackPlan {
  const {ttl} = ctx
  const original: RRsetJson | null = ctx.oldMx && ttl.old !== null ? mxSet(ctx, ctx.oldRecords, ttl.old) : null
  const procedures: RollbackProcedure[] = []
  const undone: string[] = []
  // An SPF record swapped with the MX (source.spfDropAtSwap) goes back with it: the source sends again.
  let spfBack: RRsetChange | null = null
  for (const step of ctx.steps) {
    const spf = SWAP_STEP_IDS.includes(step.id) ? (step.changes ?? []).find((c) => c.type === 'TXT' && canonicalName(c.name) === ctx.domain) : undefined
    if (spf) spfBack = {name: spf.name, type: 'TXT', before: spf.after, after: spf.before}
    const change = mxChangeOf(ctx, step)
    if (!change?.after) continue
    const live = change.after
    if (!sameData(change.before, live)) undone.push(step.id)
    if (sameRRset(toSet(live), toSet(original))) continue
    procedures.push({from: step.id, title: `If the run got as far as ${step.id} (${step.title})`, steps: sameData(live, original) ? ttlOnly(ctx, live, original) : restore(ctx, live, original, [...undone], spfBack)})
  }
  return {procedures, optional: withdrawal(ctx)}
}

function mxChangeOf(ctx: PlanContext, step: Step): RRsetChange | undefined {
  if (step.kind !== 'dns-change') return undefined
  return (step.changes ?? []).find((c) => c.type === 'MX' && canonicalName(c.name) === ctx.domain)
}

const toSet = (set: RRsetJson | null) => (set ? {name: set.name, type: set.type, ttl: set.ttl, records: set.records} : null)

/** The MX data never changed (only its TTL was lowered): the TTL goes back. */
function ttlOnly(ctx: PlanContext, live: RRsetJson, original: RRsetJson | null): Step[] {
  return [
    {
      id: 'rollback-ttl',
      kind: 'dns-change',
      status: 'pending',
      title: `Restore the MX TTL to ${original?.ttl ?? '-'} s`,
      why: 'The MX data never changed: only the lowered TTL goes back.',
      changes: [{name: ctx.domain, type: 'MX', before: live, after: original}],
    },
  ]
}

/** The original records at the cutover's TTL, verified on every resolver, then the original TTL. */
function restore(ctx: PlanContext, live: RRsetJson, original: RRsetJson | null, undone: string[], spfBack: RRsetChange | null): Step[] {
  const back = original ? {...original, ttl: ctx.ttl.swap} : null
  const steps: Step[] = [
    {
      id: 'rollback-mx',
      kind: 'dns-change',
      status: 'pending',
      title: original ? (back && back.ttl !== original.ttl ? 'Restore the original MX RRset at the lowered TTL' : 'Restore the original MX RRset') : 'Remove the MX RRset (the domain had none)',
      why: `Undoes ${undone.join(', ')} in one update${spfBack ? ', the SPF record with it (the source sends again)' : ''}. Resolvers that cached the target MX keep delivering there for up to ${live.ttl} s: keep the target accepting mail meanwhile.`,
      changes: [{name: ctx.domain, type: 'MX', before: live, after: back}, ...(spfBack ? [spfBack] : [])],
    },
    {
      id: 'verify-rollback',
      kind: 'verify',
      status: 'pending',
      title: 'Verify the original MX everywhere',
      why: `Every authoritative server, then every resolver, before anything else changes: a resolver may hold the target MX for up to ${live.ttl} s.`,
      expectMx: ctx.oldRecords,
    },
  ]
  if (original && back && back.ttl !== original.ttl) {
    steps.push({
      id: 'rollback-ttl',
      kind: 'dns-change',
      status: 'pending',
      title: `Restore the MX TTL to ${original.ttl} s`,
      why: 'Back to the state before the plan, once every resolver serves the original MX.',
      changes: [{name: ctx.domain, type: 'MX', before: back, after: original}],
    })
  }
  return steps
}

/** Every non-MX record the forward plan publishes or changes, put back: shown for a move that is abandoned, never run by mxcut rollback. */
function withdrawal(ctx: PlanContext): Step[] {
  // The swap step's SPF change is undone by the rollback itself, not here.
  const changes = ctx.steps
    .filter((s) => s.kind === 'dns-change' && !s.optional && !SWAP_STEP_IDS.includes(s.id))
    .flatMap((s) => (s.changes ?? []).filter((c) => !(c.type === 'MX' && canonicalName(c.name) === ctx.domain)))
    .map((c): RRsetChange => ({name: c.name, type: c.type, before: c.after, after: c.before}))
  if (changes.length === 0) return []
  return [
    {
      id: 'withdraw-companions',
      kind: 'dns-change',
      status: 'pending',
      optional: true,
      title: 'Optionally withdraw the companion records',
      why: 'Harmless to keep (verification, SPF include, autodiscover, DKIM); mxcut rollback leaves them in place. Withdraw them by hand only if the move to the target is abandoned.',
      changes,
    },
  ]
}
