import {statfs} from 'node:fs/promises'
import {UserError} from '../lib/errors.js'

/** Room kept for the journal entries of one change (intent, outcome, convergence, step done) on top of a plan file rewrite. */
const JOURNAL_RESERVE = 16 * 1024
const PAGE = 4096

const kib = (bytes: number) => Math.floor(bytes / 1024)

/**
 * Before a DNS change: is there room in the plan's directory to record what
 * follows (the journal's entries and one more copy of the plan file, which is
 * written beside the old one before the rename)? If not, the change is not
 * made: a change whose outcome cannot be recorded would leave the plan behind
 * live DNS. A file system that cannot tell its free space is trusted.
 */
export function roomCheck(dir: string, planBytes: () => number): () => Promise<void> {
  return async () => {
    let free: number
    try {
      const s = await statfs(dir)
      free = s.bavail * s.bsize
    } catch {
      return
    }
    const need = Math.ceil(planBytes() / PAGE) * PAGE + JOURNAL_RESERVE
    if (free < need) {
      throw new UserError(
        `not enough free space in ${dir} to record a DNS change (${kib(free)} KiB free, about ${kib(need)} KiB needed for the journal and the plan file); nothing was changed: free some space, then run mxcut resume`,
      )
    }
  }
}
