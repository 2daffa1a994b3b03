import {performChange} from '../change.js'
import {diffLines} from '../live.js'
import type {StepHandler} from './types.js'

/** One DNS change, idempotent and crash-safe (src/run/change.ts): done, drift, or not yet served everywhere. */
export const dnsChangeStep: StepHandler = async ({plan, step, deps, openIntent}) => {
  const changes = step.changes ?? []
  for (const line of diffLines(changes)) deps.ui.info(line)
  const r = await performChange(step.id, changes, plan.zone, deps, openIntent)
  switch (r.kind) {
    case 'done':
      return {
        kind: 'done',
        at: r.at,
        evidence: r.evidence,
        summary: `${r.appliedNow ? 'changed' : 'already changed'}; every authoritative server serves it (${r.evidence.servers.map((s) => `${s.server} serial ${s.serial}`).join(', ')})`,
      }
    case 'drift':
      deps.ui.warn(r.message)
      return {kind: 'drift', message: r.message}
    case 'unreadable':
    case 'timeout':
      deps.ui.warn(r.message)
      return {kind: 'failed', message: r.message}
    case 'interrupted':
      return {kind: 'paused', reason: r.message}
    case 'host-error':
      return {kind: 'error', error: r.error}
  }
}
