import {randomBytes} from 'node:crypto'
import {readFileSync, unlinkSync} from 'node:fs'
import {link, open, readFile, rename, stat, unlink} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import {hostname} from 'node:os'
import {z} from 'zod'
import {UserError} from '../lib/errors.js'
import {fsError} from '../lib/fs-errors.js'
import {formatWhen} from '../lib/time.js'

/**
 * One writer per plan: a lock file beside it holding the PID of the process
 * that runs it (like aws-cdk's rwlock.ts). A lock left by a process that no
 * longer exists (kill -9, power cut) is stale and taken over; a live holder
 * makes every other run/resume/rollback of the plan stop with exit 2.
 */
export const lockInfoSchema = z.object({
  pid: z.number().int(),
  command: z.string(),
  startedAt: z.string(),
  host: z.string(),
  /** Kernel start time of the process (Linux /proc), so a reused PID is not mistaken for the holder. */
  procStart: z.string().nullable(),
  nonce: z.string(),
})
export type LockInfo = z.infer<typeof lockInfoSchema>

export interface PlanLock {
  info: LockInfo
  release(): Promise<void>
}

export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime); the command name in field 2 may hold spaces, so count after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return rest[19] ?? null
  } catch {
    return null
  }
}

function pidAlive(pid: number): boolean {
  // kill(0) and kill(-1) address process groups, not a process.
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether the process named in a lock still exists (and is the same process, not a reused PID). */
export function holderAlive(info: LockInfo): boolean {
  // Another machine's PID cannot be checked from here: assume it is alive.
  if (info.host !== hostname()) return true
  if (!pidAlive(info.pid)) return false
  if (info.procStart === null) return true
  const now = processStartTime(info.pid)
  return now === null || now === info.procStart
}

export async function readLock(lockPath: string): Promise<LockInfo | null> {
  let text: string
  let mtime: Date
  try {
    text = await readFile(lockPath, 'utf8')
    mtime = (await stat(lockPath)).mtime
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw fsError(err, 'read the lock', lockPath)
  }
  const parsed = lockInfoSchema.safeParse(safeJson(text))
  // An unreadable lock is a crash between create and write, or a writer still
  // busy writing it: PID -1 with the file's age lets the caller tell the two apart.
  return parsed.success ? parsed.data : {pid: -1, command: 'unknown', startedAt: mtime.toISOString(), host: hostname(), procStart: null, nonce: `garbage:${text}`}
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export function describeHolder(planPath: string, info: LockInfo, now = Date.now()): string {
  const where = info.host === hostname() ? '' : ` on ${info.host}`
  return `plan ${planPath} is locked by PID ${info.pid}${where} (${info.command}, started ${formatWhen(Date.parse(info.startedAt), now).replace(/ \((.*)\)$/, ', $1')})`
}

async function createExclusive(lockPath: string, info: LockInfo): Promise<boolean> {
  let handle
  try {
    handle = await open(lockPath, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw fsError(err, 'create the lock', lockPath, 'nothing was changed')
  }
  try {
    await handle.writeFile(JSON.stringify(info) + '\n')
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => undefined)
    // A lock without its holder would make the next run wait for nobody.
    await unlink(lockPath).catch(() => undefined)
    throw fsError(err, 'write the lock', lockPath, 'nothing was changed')
  }
  await handle.close()
  return true
}

/**
 * Takes a stale lock away without racing another process doing the same:
 * rename it to a private name first (only one rename can win), then check that
 * what was moved is the stale lock that was judged, and put it back otherwise.
 */
async function takeOver(lockPath: string, stale: LockInfo): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await rename(lockPath, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw fsError(err, 'take over the stale lock', lockPath, 'nothing was changed')
  }
  const moved = await readLock(aside)
  if (moved && moved.nonce !== stale.nonce && holderAlive(moved)) {
    // Someone took the lock between our read and our rename: give it back.
    await link(aside, lockPath).catch(() => undefined)
  }
  await unlink(aside).catch(() => undefined)
}

export async function acquireLock(planPath: string, lockPath: string, command: string): Promise<PlanLock> {
  const info: LockInfo = {
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
    host: hostname(),
    procStart: processStartTime(process.pid),
    nonce: randomBytes(8).toString('hex'),
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await createExclusive(lockPath, info)) {
      let released = false
      const releaseSync = () => {
        // On exit only synchronous work runs; best effort, a leftover lock is stale anyway.
        if (released) return
        try {
          const current = JSON.parse(readFileSync(lockPath, 'utf8')) as {nonce?: string}
          if (current.nonce === info.nonce) unlinkSync(lockPath)
        } catch {
          /* already gone */
        }
      }
      process.once('exit', releaseSync)
      return {
        info,
        async release() {
          if (released) return
          released = true
          process.removeListener('exit', releaseSync)
          const current = await readLock(lockPath)
          if (current?.nonce === info.nonce) await unlink(lockPath).catch(() => undefined)
        },
      }
    }
    const holder = await readLock(lockPath)
    if (holder === null) continue
    if (holder.pid === -1 && Date.now() - Date.parse(holder.startedAt) < 2000) {
      await sleep(150)
      continue
    }
    if (holderAlive(holder)) throw new UserError(describeHolder(planPath, holder))
    await takeOver(lockPath, holder)
  }
  throw new UserError(`plan ${planPath}: could not take the lock ${lockPath} (another process keeps taking it); try again`)
}
