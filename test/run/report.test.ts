import {expect, test} from 'vitest'
import {outcomeText} from '../../src/run/report.js'
import {describeHolder} from '../../src/run/lock.js'
import {formatClock} from '../../src/lib/time.js'

/** No parentheses inside parentheses: the clock time and the relative time each said once. */
const nested = /\([^()]*\(/

test('--detach says when to resume without doubled parentheses', () => {
  process.env.NO_COLOR = '1'
  const now = Date.UTC(2026, 10, 23, 12)
  const due = now + 3600_000
  const text = outcomeText({kind: 'detached', step: 'wait-old-ttl', due}, 'mxcut resume plans/contoso.com.plan.json', now)
  expect(text).toBe(`detached at wait-old-ttl: run\n  mxcut resume plans/contoso.com.plan.json\nat or after ${formatClock(due)}, 1 h 00 min from now; a timer may call it earlier with --if-due`)
  expect(text).not.toMatch(nested)
  const paused = outcomeText({kind: 'paused', step: 'wait-old-ttl', reason: 'paused during the wait', due}, 'mxcut resume p', now)
  expect(paused).not.toMatch(nested)
  expect(describeHolder('p.plan.json', {pid: 7, command: 'mxcut run', startedAt: new Date(now - 5000).toISOString(), host: 'elsewhere', procStart: null, nonce: 'n'}, now)).not.toMatch(nested)
})
