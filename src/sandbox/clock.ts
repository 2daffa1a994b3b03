/**
 * Simulated time for the sandbox: one clock shared by the runner, the
 * authoritative servers, the caching resolvers and the simulated senders, so a
 * plan with a 24-hour wait rehearses in seconds.
 *
 * Time only moves when everything that acts on it is asleep. Each acting party
 * (the runner, the senders) takes an `actor` view; when every actor is waiting
 * in sleep(), the clock jumps to the earliest pending wake-up or background
 * timer (a secondary's transfer, a refresh) and fires it. Network round trips
 * and file writes take real time but no simulated time, the way a rehearsal
 * should treat them: they are short next to the TTLs being simulated.
 */

export interface Clock {
  /** Simulated epoch milliseconds. */
  now(): number
  /** Resolves when simulated time reaches now + ms, or at once when the signal aborts (as the runner's clock does). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export interface Actor extends Clock {
  readonly name: string
  /** The actor stops taking part: time no longer waits for it. */
  done(): void
}

export interface SimClock extends Clock {
  /** Runs fn once simulated time reaches `at` (background work that does not hold time back). Returns a cancel function. */
  at(at: number, fn: () => void | Promise<void>): () => void
  /** A party whose sleeps drive time forward once every actor sleeps. */
  actor(name: string): Actor
  /** Moves time forward by ms, firing due timers and sleeps in order (for tests driving the clock by hand). */
  advance(ms: number): Promise<void>
  /** Simulated milliseconds since the clock was made. */
  elapsed(): number
  readonly startedAt: number
}

interface Timer {
  at: number
  seq: number
  fire: () => void | Promise<void>
  actor?: ActorState
}

interface ActorState {
  name: string
  sleeping: number
  finished: boolean
}

/** Lets pending I/O callbacks and promise chains run before time moves on. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
}

export function createSimClock(options: {start?: number} = {}): SimClock {
  const startedAt = options.start ?? Math.floor(Date.now() / 1000) * 1000
  let current = startedAt
  let seq = 0
  const timers: Timer[] = []
  const actors = new Set<ActorState>()
  let pumping = false

  const schedule = (timer: Omit<Timer, 'seq'>): Timer => {
    const t = {...timer, seq: seq++}
    timers.push(t)
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
    return t
  }
  const unschedule = (t: Timer): boolean => {
    const i = timers.indexOf(t)
    if (i < 0) return false
    timers.splice(i, 1)
    return true
  }

  const allAsleep = () => {
    const live = [...actors].filter((a) => !a.finished)
    return live.length > 0 && live.every((a) => a.sleeping > 0)
  }

  const fireNext = async (): Promise<void> => {
    const next = timers.shift()
    if (!next) return
    current = Math.max(current, next.at)
    await next.fire()
  }

  const pump = async () => {
    if (pumping) return
    pumping = true
    try {
      for (;;) {
        await settle()
        if (!allAsleep() || timers.length === 0) break
        await fireNext()
      }
    } finally {
      pumping = false
    }
  }
  const kick = () => void pump()

  const sleepFor = (actor: ActorState | undefined, ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort)
        if (actor) actor.sleeping--
        resolve()
      }
      const timer = schedule({at: current + Math.max(0, ms), fire: wake, actor})
      const onAbort = () => {
        if (!unschedule(timer)) return
        if (actor) actor.sleeping--
        resolve()
      }
      signal?.addEventListener('abort', onAbort, {once: true})
      if (actor) actor.sleeping++
      kick()
    })
  }

  const clock: SimClock = {
    startedAt,
    now: () => current,
    elapsed: () => current - startedAt,
    sleep: (ms, signal) => sleepFor(undefined, ms, signal),
    at(at, fn) {
      const timer = schedule({at: Math.max(at, current), fire: fn})
      kick()
      return () => void unschedule(timer)
    },
    actor(name) {
      const state: ActorState = {name, sleeping: 0, finished: false}
      actors.add(state)
      return {
        name,
        now: () => current,
        sleep: (ms, signal) => sleepFor(state, ms, signal),
        done() {
          state.finished = true
          actors.delete(state)
          kick()
        },
      }
    },
    async advance(ms) {
      const until = current + Math.max(0, ms)
      for (;;) {
        await settle()
        const next = timers[0]
        if (!next || next.at > until) break
        await fireNext()
      }
      current = Math.max(current, until)
      await settle()
    },
  }
  return clock
}
