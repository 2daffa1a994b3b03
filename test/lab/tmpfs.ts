/**
 * A real, small file system for tests of a full disk: a tmpfs mounted (as
 * root) on a fresh directory, filled to leave a chosen number of bytes free,
 * unmounted and removed at the end.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface Tmpfs {
  dir: string
  /** Bytes free now. */
  free(): number
  /** Fills the file system with a filler file so that about `bytes` stay free (tmpfs counts whole 4 KiB pages). */
  leave(bytes: number): void
  /** Removes the filler. */
  release(): void
  /** Remounts read-only (true) or read-write. */
  readOnly(on: boolean): void
  unmount(): void
}

export function mountTmpfs(sizeKiB: number, prefix = 'mxcut-tmpfs-'): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0755`, 'tmpfs', dir])
  const filler = join(dir, '.filler')
  const free = () => {
    const s = statfsSync(dir)
    return s.bavail * s.bsize
  }
  let fillers = 0
  return {
    dir,
    free,
    leave(bytes) {
      // Several files, so a later release can free everything at once.
      const size = free() - bytes
      if (size <= 0) return
      try {
        writeFileSync(`${filler}${fillers++}`, Buffer.alloc(size, 1))
      } catch {
        /* the file system took what it could */
      }
    },
    release() {
      for (let i = 0; i < fillers; i++) {
        try {
          unlinkSync(`${filler}${i}`)
        } catch {
          /* already gone */
        }
      }
      fillers = 0
    },
    readOnly(on) {
      execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir])
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], {stdio: 'ignore'})
      } catch {
        /* not mounted */
      }
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
