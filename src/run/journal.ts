import {randomBytes} from 'node:crypto'
import {open, readFile} from 'node:fs/promises'
import {z} from 'zod'
import {UserError} from '../lib/errors.js'

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

export function openJournal(path: string, options: {now?: () => number} = {}): Journal {
  const run = randomBytes(4).toString('hex')
  const now = options.now ?? Date.now
  // Appends are serialised so lines never interleave and their order is the order of events.
  let chain: Promise<void> = Promise.resolve()
  return {
    run,
    newIntentId: () => randomBytes(6).toString('hex'),
    append(entry) {
      const line = JSON.stringify({at: new Date(now()).toISOString(), pid: process.pid, run, ...entry}) + '\n'
      const next = chain.then(async () => {
        const handle = await open(path, 'a', 0o600)
        try {
          await handle.appendFile(line)
          await handle.sync()
        } finally {
          await handle.close()
        }
      })
      chain = next.catch(() => undefined)
      return next
    },
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
    throw err
  }
  const out: JournalEntry[] = []
  const lines = text.split('\n')
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    let data: unknown
    try {
      data = JSON.parse(line)
    } catch {
      // A torn last line is what a crash mid-append leaves; anything earlier is damage.
      if (i >= lines.length - 2) continue
      throw new UserError(`journal ${path} line ${i + 1} is not JSON; the journal is append-only, restore it from a backup or move it aside`)
    }
    const parsed = journalEntrySchema.safeParse(data)
    if (!parsed.success) throw new UserError(`journal ${path} line ${i + 1} is not a journal entry; move the file aside to continue`)
    out.push(parsed.data)
  }
  return out
}

/** Intents with no outcome: what a crashed run may or may not have done. */
export function openIntents(entries: readonly JournalEntry[]): JournalEntry[] {
  const closed = new Set(entries.filter((e) => e.event === 'outcome' && e.intent).map((e) => e.intent))
  const resolved = new Set(entries.filter((e) => e.event === 'interrupted-intent' && e.intent).map((e) => e.intent))
  return entries.filter((e) => e.event === 'intent' && e.intent && !closed.has(e.intent) && !resolved.has(e.intent))
}
