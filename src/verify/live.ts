import {Listr, type ListrTaskWrapper} from 'listr2'
import type {ServerSpec} from '../dns/server.js'
import {serverLabel} from '../dns/server.js'
import {formatWhen} from '../lib/time.js'
import type {ServerReport} from './classify.js'
import {liveTitle, progressLine, serverTitle, stateKey, verdictLine} from './render.js'
import type {VerifyReport} from './verify.js'
import type {WatchResult} from './watch.js'

export interface WatchDisplay {
  update(report: VerifyReport): void
  finish(result: WatchResult): Promise<void>
}

/** Plain lines: one per change of state and a heartbeat, for CI logs and pipes. */
export function plainDisplay(write: (line: string) => void, now: () => number = Date.now, heartbeatMs = 10_000): WatchDisplay {
  let lastKey = ''
  let lastAt = 0
  const told = new Set<string>()
  return {
    update(report) {
      const key = stateKey(report)
      const t = now()
      if (key === lastKey && t - lastAt < heartbeatMs) return
      lastKey = key
      lastAt = t
      write(progressLine(report, t))
      for (const r of report.resolvers) {
        // Said once per resolver: the TTL in the message is from the first sighting.
        const clampKey = `${r.address} ${r.clamping?.rrset}`
        if (r.clamping?.rrset === 'old' && r.status !== 'updated' && !told.has(clampKey)) {
          told.add(clampKey)
          write(`  ${serverTitle(r)}: ${r.clamping.message}`)
        }
      }
    },
    async finish() {},
  }
}

type AnyTask = ListrTaskWrapper<unknown, never, never>

/**
 * One listr2 line. listr2 starts task functions a few ticks after run(), so a
 * first check that converges at once can arrive before the task exists: the
 * latest title and the outcome are kept and applied when it starts.
 */
interface Slot {
  task?: AnyTask
  title?: string
  outcome?: {error?: Error}
  settle?: (outcome: {error?: Error}) => void
}

function slotTask(slot: Slot) {
  return (_ctx: unknown, task: AnyTask) =>
    new Promise<void>((resolve, reject) => {
      slot.task = task
      if (slot.title !== undefined) task.title = slot.title
      slot.settle = (o) => (o.error ? reject(o.error) : resolve())
      if (slot.outcome) slot.settle(slot.outcome)
    })
}

function setTitle(slot: Slot, title: string): void {
  slot.title = title
  if (slot.task) slot.task.title = title
}

function settle(slot: Slot, outcome: {error?: Error}): void {
  slot.outcome = outcome
  slot.settle?.(outcome)
}

/**
 * A live listr2 display: one line per server, kept open until the watch ends,
 * so a server that flips back (an anycast sibling with an older cache) is
 * never shown as finished early.
 */
export function listrDisplay(servers: Array<{role: 'authoritative' | 'resolver'; server: ServerSpec}>, now: () => number = Date.now): WatchDisplay {
  const slots = new Map<string, Slot & {last?: ServerReport}>()
  const key = (role: string, address: string) => `${role} ${address}`
  const header: Slot = {}
  const tasks = [
    {title: 'Checking propagation…', task: slotTask(header)},
    ...servers.map(({role, server}) => {
      const slot: Slot = {}
      slots.set(key(role, serverLabel(server)), slot)
      const label = serverTitle({name: server.name, address: serverLabel(server)})
      return {title: `${role === 'authoritative' ? 'authoritative ' : ''}${label}  waiting`, task: slotTask(slot)}
    }),
  ]
  const listr = new Listr(tasks, {concurrent: true, exitOnError: false, registerSignalListeners: false})
  const running = listr.run().catch(() => undefined)

  return {
    update(report) {
      const t = now()
      setTitle(
        header,
        report.converged ? verdictLine(report, t) : `${progressLine(report, t)}${report.eta || report.authoritativeUpdated ? '' : ' — waiting for the authoritative servers'}`,
      )
      for (const r of [...report.authoritative, ...report.resolvers]) {
        const slot = slots.get(key(r.role, r.address))
        if (!slot) continue
        slot.last = r
        setTitle(slot, (r.role === 'authoritative' ? 'authoritative ' : '') + liveTitle(r, t))
      }
    },
    async finish(result) {
      for (const slot of slots.values()) {
        const r = slot.last
        settle(slot, !r || r.status !== 'updated' ? {error: new Error(r ? liveTitle(r, now()) : 'no answer')} : {})
      }
      if (result.converged) settle(header, {})
      else {
        const eta = result.report.eta ? `; last stale cache expires ${formatWhen(Date.parse(result.report.eta), now())}` : ''
        settle(header, {error: new Error(`${result.timedOut ? 'Gave up' : 'Stopped'}: not converged${eta}`)})
      }
      await running
    },
  }
}
