import {formatDuration} from '../lib/time.js'
import type {Step} from '../state/schema.js'
import {mxJson, mxLines, mxSet, type PlanContext} from './context.js'
import {addDane, addRestore, addWait} from './preparation.js'
import {addDecommissionCheck, addGatewayConnector, addProbeBeforeSwap, addProbeSource} from './continuity.js'
import {rollbackWhy, swapChanges, swapWhy} from './strategy-replace.js'

/** MX sets of the staged strategy: today's, with the target as backup, with the target promoted. */
function stagedSets(ctx: PlanContext) {
  const {oldRecords, targetMx} = ctx
  const sourceMx = oldRecords.filter((m) => m.exchange !== '.')
  const sourceMax = Math.max(0, ...sourceMx.map((m) => m.priority))
  const targetMin = Math.min(...targetMx.map((m) => m.priority))
  const targetMax = Math.max(...targetMx.map((m) => m.priority))
  const backupBase = Math.min(65535 - (targetMax - targetMin), sourceMax + 10)
  const backup = targetMx.map((m) => ({priority: backupBase + (m.priority - targetMin), exchange: m.exchange}))
  const sourceMin = Math.min(...sourceMx.map((m) => m.priority))
  const demoted = sourceMx.map((m) => ({priority: Math.min(65535, targetMax + 10 + (m.priority - sourceMin)), exchange: m.exchange}))
  return {sourceMx, backup, demoted, staged: mxJson([...sourceMx, ...backup]), promoted: mxJson([...targetMx, ...demoted])}
}

/** Staged (Microsoft's sequence): the target added as backup, probed, promoted, then the source removed. */
export function addStagedSteps(ctx: PlanContext, waitRules: NonNullable<Step['waitFor']>): void {
  const {domain, ttl, oldRecords, targetMx} = ctx
  ctx.touch(domain, 'MX')
  const {sourceMx, backup, demoted, staged, promoted} = stagedSets(ctx)
  const setTtl = ttl.swap
  if (sourceMx.length === 0 || targetMx.length === 0) {
    ctx.block('STAGED_NEEDS_SOURCE_MX', `${domain} MX`, `the staged strategy keeps the source MX beside the target's, but ${domain} has ${ctx.nullMx ? 'a null MX' : 'no MX'} today; use strategy: replace`)
    return
  }
  ctx.add({
    id: 'add-target-backup',
    kind: 'dns-change',
    title: `Add the target MX as a backup (priority ${backup.map((m) => m.priority).join(', ')})`,
    why: `Senders keep using ${mxLines(sourceMx)} (lower priority wins); the target's hosts appear as backups, so they can be probed from outside while nothing depends on them.`,
    changes: [{name: domain, type: 'MX', before: mxSet(ctx, oldRecords, ttl.swap), after: mxSet(ctx, staged, setTtl)}],
  })
  ctx.add({id: 'verify-backup', kind: 'verify', title: 'Verify the backup MX everywhere', why: 'The target appears on every authoritative server and resolver before it is probed.', expectMx: staged})
  ctx.add({
    id: 'probe-target',
    kind: 'audit',
    title: 'Probe the target MX',
    why: `The audit runs again with the SMTP probe: the target's hosts must accept RCPT TO:<postmaster@${domain}> before they become primary.`,
  })
  addWait(ctx, 'wait-old-ttl', waitRules)
  addDane(ctx)
  addGatewayConnector(ctx)
  ctx.add({
    id: 'confirm-promote',
    kind: 'checkpoint',
    title: 'Confirm the promotion',
    why: `Shows the exact change: MX ${mxLines(staged)} → ${mxLines(promoted)}. Abort, pause, or go.`,
  })
  addProbeBeforeSwap(ctx)
  ctx.add({
    id: 'promote-target',
    kind: 'dns-change',
    title: 'Promote the target MX and demote the source',
    why: swapWhy(ctx, `In one update: the target's hosts take their own priority, the source's move behind them (${mxLines(demoted)}) and still catch mail if the target refuses it.`),
    changes: [{name: domain, type: 'MX', before: mxSet(ctx, staged, setTtl), after: mxSet(ctx, promoted, setTtl)}],
  })
  ctx.add({id: 'verify-propagation', kind: 'verify', title: 'Verify the promoted MX everywhere', why: `Resolvers that cached the previous RRset drop it within ${formatDuration(setTtl)}.`, expectMx: promoted})
  addProbeSource(ctx)
  ctx.add({
    id: 'confirm-mail-flow',
    kind: 'checkpoint',
    title: 'Confirm that mail arrives at the target',
    why: `Send test messages from outside. If mail does not arrive, roll back: ${rollbackWhy(setTtl)}`,
  })
  const removeChanges = swapChanges(ctx, promoted, targetMx, setTtl)
  removeChanges[0] = {name: domain, type: 'MX', before: mxSet(ctx, promoted, setTtl), after: mxSet(ctx, targetMx, setTtl)}
  ctx.add({id: 'remove-source', kind: 'dns-change', title: 'Remove the source MX', why: 'The target is the only MX; the source keeps running until caches holding it have expired.', changes: removeChanges})
  ctx.add({id: 'verify-removal', kind: 'verify', title: 'Verify that only the target MX remains', why: `Within ${formatDuration(setTtl)} every resolver answers the target alone.`, expectMx: targetMx})
  addRestore(ctx, setTtl, 'the source is removed')
  addDecommissionCheck(ctx, {step: 'remove-source', ttl: setTtl})
}
