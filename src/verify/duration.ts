import {UserError} from '../lib/errors.js'

/** "90", "90s", "15m", "2h", "1h30m" → milliseconds. */
export function parseWait(input: string): number {
  const text = input.trim().toLowerCase()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const re = /\s*(\d+)\s*(min|h|m|s)\s*/gy
  let total = 0
  let consumed = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 's' ? 1 : 60)
    consumed = re.lastIndex
  }
  if (consumed !== text.length || consumed === 0) throw new UserError(`--watch-timeout '${input}' is not a duration: use seconds (600) or 90s, 15m, 2h, 1h30m`)
  return total * 1000
}
