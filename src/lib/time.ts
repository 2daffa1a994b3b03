/** "1 d 2 h", "2 h 05 min", "4 min 10 s", "42 s": how long, as people say it. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`
  if (m > 0) return sec > 0 ? `${m} min ${String(sec).padStart(2, '0')} s` : `${m} min`
  return `${sec} s`
}

/** Local wall-clock time with the date, the year and the time zone, e.g. "Mon 23 Nov 2026 14:05:09 CET". */
export function formatClock(date: Date | number): string {
  const d = typeof date === 'number' ? new Date(date) : date
  const day = d.toLocaleDateString('en-GB', {weekday: 'short', day: '2-digit', month: 'short', year: 'numeric'}).replace(',', '')
  const time = d.toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false})
  return `${day} ${time} ${timeZoneName(d)}`
}

/** The machine's zone as people read it: "CET", "UTC", or "GMT+5:30" where no abbreviation exists. */
export function timeZoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-GB', {timeZoneName: 'short'}).formatToParts(d).find((p) => p.type === 'timeZoneName')
  return part?.value ?? 'UTC'
}

/** "in 2 h 05 min (Mon 23 Nov 14:05:09)" or "5 min ago (…)". */
export function formatWhen(target: Date | number, now: Date | number = Date.now()): string {
  const t = typeof target === 'number' ? target : target.getTime()
  const n = typeof now === 'number' ? now : now.getTime()
  const delta = (t - n) / 1000
  const rel = Math.abs(delta) < 1 ? 'now' : delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`
  return `${rel} (${formatClock(t)})`
}

/** "42 s", or "3600 s (1 h 00 min)" where the duration says more than the seconds. */
export function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${seconds} s (${formatDuration(seconds)})`
}

/** "Wed 2 Dec 2026 14:05:09 UTC": a moment a person acts on (switch a server off, run a step), with its date, year and time zone. */
export function formatInstant(date: Date | number): string {
  const d = typeof date === 'number' ? new Date(date) : date
  const text = d.toLocaleString('en-GB', {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short'})
  return text.replace(/,/g, '')
}
