import {describe, expect, it} from 'vitest'
import {createSimClock} from '../../src/sandbox/clock.js'

describe('simulated clock', () => {
  it('does not move while an actor is awake, and jumps to the next wake-up when every actor sleeps', async () => {
    const clock = createSimClock({start: 1_000_000})
    const runner = clock.actor('runner')
    const woke: Array<[string, number]> = []
    const other = clock.actor('senders')
    const senders = (async () => {
      for (let i = 0; i < 3; i++) {
        await other.sleep(60_000)
        woke.push(['senders', clock.elapsed()])
      }
      other.done()
    })()
    // Only one of the two actors sleeps: time must stand still.
    await new Promise((r) => setTimeout(r, 20))
    expect(clock.elapsed()).toBe(0)
    await runner.sleep(24 * 3600_000)
    woke.push(['runner', clock.elapsed()])
    runner.done()
    await senders
    expect(woke).toEqual([
      ['senders', 60_000],
      ['senders', 120_000],
      ['senders', 180_000],
      ['runner', 24 * 3600_000],
    ])
  })

  it('fires background timers in order as time passes, without holding time back', async () => {
    const clock = createSimClock({start: 0})
    const fired: number[] = []
    clock.at(5000, () => void fired.push(clock.now()))
    clock.at(1000, async () => {
      await new Promise((r) => setTimeout(r, 5))
      fired.push(clock.now())
    })
    const a = clock.actor('a')
    await a.sleep(10_000)
    expect(fired).toEqual([1000, 5000])
    expect(clock.now()).toBe(10_000)
    a.done()
  })

  it('an aborted sleep ends at once without moving time, and no longer holds the actor asleep', async () => {
    const clock = createSimClock({start: 0})
    const a = clock.actor('a')
    const b = clock.actor('b')
    const controller = new AbortController()
    const p = a.sleep(1000, controller.signal)
    controller.abort(new Error('paused'))
    await p
    await a.sleep(10, AbortSignal.abort(new Error('already')))
    expect(clock.now()).toBe(0)
    // b sleeps alone while a is awake: time stands still.
    let woke = false
    void b.sleep(500).then(() => (woke = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(woke).toBe(false)
    a.done()
    await new Promise((r) => setTimeout(r, 20))
    expect(woke).toBe(true)
    expect(clock.now()).toBe(500)
    b.done()
  })

  it('advance() moves time by hand and wakes sleepers in order', async () => {
    const clock = createSimClock({start: 0})
    const order: string[] = []
    void clock.sleep(300).then(() => order.push('b'))
    void clock.sleep(100).then(() => order.push('a'))
    await clock.advance(200)
    expect(order).toEqual(['a'])
    expect(clock.now()).toBe(200)
    await clock.advance(200)
    expect(order).toEqual(['a', 'b'])
  })
})
