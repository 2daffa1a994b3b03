import {randomBytes} from 'node:crypto'
import {appendFile, open, readFile, truncate} from 'node:fs/promises'
import {z} from 'zod'
import {bounded} from '../lib/bounded.js'
import {UserError} from '../lib/errors.js'
import {fsError} from '../lib/fs-errors.js'
import {redactDeep} from '../lib/redact.js'

/**
 * The append-only journal beside a plan (`*.journal.ndjson`): one JSON object
 * per line, written and fsync'd before the next thing happens. An intent is
 * journaled before every DNS change and its outcome after, so after a crash
 * the last intent without an outcome says exactly what may have been in flight.
 */
export const journalEventSchema = z.enum([
  'run-start',
  'run-end',
  'step-start',
  'step-done',
  'step-failed',
  'already-applied',
  'intent',
  'outcome',
  'propagating',
  'converged',
  'drift',
  'drift-check',
  'wait',
  'checkpoint',
  'paused',
  'detached',
  'interrupted-intent',
  'rollback-start',
  'rollback-done',
  'rollback-failed',
  'verify',
  'host-check-failed',
  'journal-repaired',
  'notify',
  'notify-failed',
  'smtp-probe',
])
export type JournalEvent = z.infer<typeof journalEventSchema>

export const journalEntrySchema = z
  .object({
    at: z.string(),
    pid: z.number().int(),
    run: z.string(),
    event: journalEventSchema,
    step: z.string().optional(),
    /** Pairs an outcome with its intent. */
    intent: z.string().optional(),
    message: z.string().optional(),
  })
  .catchall(z.unknown())
export type JournalEntry = z.infer<typeof journalEntrySchema>

export interface JournalInput {
  event: JournalEvent
  step?: string
  intent?: string
  message?: string
  [detail: string]: unknown
}

export interface Journal {
  /** Identifies this process's entries among those of earlier runs. */
  readonly run: string
  append(entry: JournalInput): Promise<void>
  newIntentId(): string
}

/**
 * The journal of a plan, appended to under the plan's lock. Each entry is
 * redacted, written as one line and fsync'd before append() resolves, so an
 * intent is durable before the change it announces is made. An append that
 * fails half-way (a full disk) is cut back to the last whole line at once, so
 * the next entry never glues onto a fragment.
 */
export function openJournal(path: string, options: {now?: () => number} = {}): Journal {
  const run = randomBytes(4).toString('hex')
  const now = options.now ?? Date.now
  // Appends are serialised so lines never interleave and their order is the order of events.
  let chain: Promise<void> = Promise.resolve()
  return {
    run,
    newIntentId: () => randomBytes(6).toString('hex'),
    append(entry) {
      const line = JSON.stringify(redactDeep({at: new Date(now()).toISOString(), pid: process.pid, run, ...entry})) + '\n'
      const next = chain.then(() => appendLine(path, line))
      chain = next.catch(() => undefined)
      return next
    },
  }
}

async function appendLine(path: string, line: string): Promise<void> {
  let handle
  let start: number | null = null
  try {
    handle = await open(path, 'a', 0o600)
    start = (await handle.stat()).size
    await handle.appendFile(line)
    await handle.sync()
  } catch (err) {
    if (start !== null) await truncate(path, start).catch(() => undefined)
    throw fsError(err, 'append to journal', path, 'no DNS change was made after the failed entry')
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/**
 * A crash in the middle of an append leaves a last line without its newline.
 * Before a run appends again, that fragment is moved to a side file
 * (JOURNAL.torn, its bytes kept as they were) and the journal cut back to its
 * last whole line; a fragment that is a whole entry only lacking its newline
 * gets the newline. Returns one line telling what was done, or null.
 */
export async function repairJournal(path: string): Promise<string | null> {
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw fsError(err, 'read journal', path)
  }
  if (data.length === 0 || data[data.length - 1] === 0x0a) return null
  const cut = data.lastIndexOf(0x0a) + 1
  const tail = data.subarray(cut)
  try {
    if (parseEntry(tail.toString('utf8')) !== null) {
      await appendFile(path, '\n')
      return null
    }
    const side = `${path}.torn`
    await appendFile(side, Buffer.concat([tail, Buffer.from('\n')]), {mode: 0o600})
    await truncate(path, cut)
    return `journal ${path} ended with a partial entry (${tail.length} bytes, left by a run that stopped while writing it; no change was made after it): set aside in ${side}, continuing`
  } catch (err) {
    throw fsError(err, 'repair journal', path)
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function parseEntry(text: string): JournalEntry | null {
  try {
    const parsed = journalEntrySchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** A journal kept in memory: for the sandbox and tests that need no files. */
export function memoryJournal(now: () => number = Date.now): Journal & {entries: JournalEntry[]} {
  const run = randomBytes(4).toString('hex')
  const entries: JournalEntry[] = []
  return {
    run,
    entries,
    newIntentId: () => randomBytes(6).toString('hex'),
    async append(entry) {
      entries.push({...entry, at: new Date(now()).toISOString(), pid: process.pid, run})
    },
  }
}

export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw fsError(err, 'read journal', path)
  }
  const out: JournalEntry[] = []
  const lines = text.split('\n')
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    const entry = parseEntry(line) ?? afterFragment(line)
    if (entry) {
      out.push(entry)
      continue
    }
    // A torn last line is what a crash mid-append leaves; anything earlier is damage.
    if (i >= lines.length - 2) continue
    const what = isJson(line) ? 'is not a journal entry' : 'is not JSON'
    throw new UserError(`journal ${path} line ${i + 1} ${what} (${bounded(line, 60)}); the journal is append-only: restore it from a backup, or move it aside to continue without it`)
  }
  return out
}

/**
 * A line where an older mxcut appended an entry right after a crash's
 * fragment: the entry that starts the last `{"at":` is kept, the fragment
 * before it (an entry that was never completed) is not an event.
 */
function afterFragment(line: string): JournalEntry | null {
  const at = line.lastIndexOf('{"at":')
  return at > 0 ? parseEntry(line.slice(at)) : null
}

/** Intents with no outcome: what a crashed run may or may not have done. */
export function openIntents(entries: readonly JournalEntry[]): JournalEntry[] {
  const closed = new Set(entries.filter((e) => e.event === 'outcome' && e.intent).map((e) => e.intent))
  const resolved = new Set(entries.filter((e) => e.event === 'interrupted-intent' && e.intent).map((e) => e.intent))
  return entries.filter((e) => e.event === 'intent' && e.intent && !closed.has(e.intent) && !resolved.has(e.intent))
}
