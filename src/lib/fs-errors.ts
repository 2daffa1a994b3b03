import {bounded} from './bounded.js'
import {errorMessage, UserError} from './errors.js'

/**
 * File-system failures a user can fix (a full disk, a read-only mount, a file
 * owned by someone else, a directory where a file belongs) as one line naming
 * the file, the cause and what to do: never "internal error".
 */

const CAUSES: Record<string, {cause: string; fix: string}> = {
  EACCES: {cause: 'permission denied', fix: 'check the owner and mode of the file and its directory, or run as the user who made the plan'},
  EPERM: {cause: 'operation not permitted', fix: 'check the owner of the file and its directory (a sticky directory, an immutable or append-only file), or run as the user who made the plan'},
  EROFS: {cause: 'read-only file system', fix: 'move the plan to a writable directory, or remount it read-write'},
  ENOSPC: {cause: 'no space left on device', fix: 'free some space, then run the command again'},
  EDQUOT: {cause: 'disk quota exceeded', fix: 'free some space or raise the quota, then run the command again'},
  EISDIR: {cause: 'is a directory', fix: 'move that directory away'},
  ENOTDIR: {cause: 'a part of the path is not a directory', fix: 'check the path'},
  ENOENT: {cause: 'no such file or directory', fix: 'check the path'},
  ENAMETOOLONG: {cause: 'file name too long', fix: 'use a shorter path'},
  ELOOP: {cause: 'too many symbolic links', fix: 'check the symbolic links on the path'},
  EMFILE: {cause: 'too many open files', fix: 'raise the open-file limit (ulimit -n)'},
  EIO: {cause: 'input/output error', fix: 'check the disk'},
  EBUSY: {cause: 'resource busy', fix: 'try again'},
  EFBIG: {cause: 'file too large', fix: 'check the file system limits'},
  ETXTBSY: {cause: 'text file busy', fix: 'try again'},
}

export const FS_ERROR_CODES = Object.keys(CAUSES)

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** True for a file-system error this module can explain. */
export function isFsError(err: unknown): boolean {
  const code = errnoCode(err)
  return code !== undefined && code in CAUSES
}

/**
 * `cannot WHAT PATH: CAUSE (CODE); KEPT; FIX`. `doing` is a verb phrase
 * ("save plan", "append to journal"); `kept` says what was left as it was.
 * An error that is already a UserError passes unchanged; one this module
 * cannot explain is returned as it came.
 */
export function fsError(err: unknown, doing: string, path: string, kept?: string): Error {
  if (err instanceof UserError) return err
  const code = errnoCode(err)
  const known = code ? CAUSES[code] : undefined
  if (!known) return err instanceof Error ? err : new Error(errorMessage(err))
  return new UserError(`cannot ${doing} ${bounded(path, 300)}: ${known.cause} (${code})${kept ? `; ${kept}` : ''}; ${known.fix}`, {cause: err})
}
