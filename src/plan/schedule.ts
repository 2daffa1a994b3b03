import type {Step} from '../state/schema.js'

/**
 * When each step could start and end if the run started at `from` and every
 * wait ran out exactly. `changeLagSeconds`: how long a change takes to reach
 * every authoritative server (a primary that sends NOTIFY late).
 */
export function estimateSchedule(steps: readonly Step[], from: Date, options: {changeLagSeconds?: number} = {}): Array<{id: string; start: Date; end: Date}> {
  const end = new Map<string, number>()
  const out: Array<{id: string; start: Date; end: Date}> = []
  let t = from.getTime()
  let lastChange: Step | undefined
  for (const step of steps) {
    const ruleEnd = Math.max(t, ...(step.waitFor ?? []).map((r) => (end.get(r.after) ?? t) + r.seconds * 1000))
    let start = t
    let finish = t
    if (step.kind === 'wait') {
      finish = ruleEnd
    } else {
      start = ruleEnd
      // A verify step converges once resolvers drop what they cached before the last change.
      const cacheTtl = step.kind === 'verify' ? Math.max(0, ...(lastChange?.changes ?? []).map((c) => c.before?.ttl ?? 0)) : 0
      finish = start + cacheTtl * 1000
      if (step.kind === 'dns-change') finish += (options.changeLagSeconds ?? 0) * 1000
    }
    if (step.kind === 'dns-change') lastChange = step
    end.set(step.id, finish)
    out.push({id: step.id, start: new Date(start), end: new Date(finish)})
    t = finish
  }
  return out
}
