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

interface Slot {
  task?: AnyTask
  done?: (err?: Error) => void
  last?: ServerReport
}

/**
 * A live listr2 display: one line per server, kept open until the watch ends,
 * so a server that flips back (an anycast sibling with an older cache) is
 * never shown as finished early.
 */
export function listrDisplay(servers: Array<{role: 'authoritative' | 'resolver'; server: ServerSpec}>, now: () => number = Date.now): WatchDisplay {
  const slots = new Map<string, Slot>()
  const key = (role: string, address: string) => `${role} ${address}`
  let header: AnyTask | undefined
  let headerDone: ((err?: Error) => void) | undefined
  const hold = (slot: Slot) => (_ctx: unknown, task: AnyTask) =>
    new Promise<void>((resolve, reject) => {
      slot.task = task
      slot.done = (err) => (err ? reject(err) : resolve())
    })
  const tasks = [
    {
      title: 'Checking propagation…',
      task: (_ctx: unknown, task: AnyTask) =>
        new Promise<void>((resolve, reject) => {
          header = task
          headerDone = (err) => (err ? reject(err) : resolve())
        }),
    },
    ...servers.map(({role, server}) => {
      const slot: Slot = {}
      slots.set(key(role, serverLabel(server)), slot)
      const label = role === 'authoritative' ? `authoritative ${serverTitle({name: server.name, address: serverLabel(server)})}` : serverTitle({name: server.name, address: serverLabel(server)})
      return {title: `${label}  waiting`, task: hold(slot)}
    }),
  ]
  const listr = new Listr(tasks, {concurrent: true, exitOnError: false, registerSignalListeners: false})
  const running = listr.run().catch(() => undefined)

  return {
    update(report) {
      const t = now()
      if (header) {
        header.title = report.converged
          ? verdictLine(report, t)
          : `${progressLine(report, t)}${report.eta ? '' : report.authoritativeUpdated ? '' : ' — waiting for the authoritative servers'}`
      }
      for (const r of [...report.authoritative, ...report.resolvers]) {
        const slot = slots.get(key(r.role, r.address))
        if (!slot?.task) continue
        slot.last = r
        slot.task.title = (r.role === 'authoritative' ? 'authoritative ' : '') + liveTitle(r, t)
      }
    },
    async finish(result) {
      for (const slot of slots.values()) {
        const r = slot.last
        if (!r || r.status !== 'updated') slot.done?.(new Error(r ? liveTitle(r, now()) : 'no answer'))
        else slot.done?.()
      }
      if (result.converged) headerDone?.()
      else {
        const eta = result.report.eta ? `; last stale cache expires ${formatWhen(Date.parse(result.report.eta), now())}` : ''
        headerDone?.(new Error(`${result.timedOut ? 'Gave up' : 'Stopped'}: not converged${eta}`))
      }
      await running
    },
  }
}
