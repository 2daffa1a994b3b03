import {randomBytes} from 'node:crypto'
import {open, readdir, rename, unlink, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {fsError} from '../lib/fs-errors.js'

/**
 * The one way mxcut replaces a file it depends on (the plan state): the new
 * text goes to a temp file beside it; every byte is checked written (a full
 * disk may accept part of a write), the size on disk compared, the data
 * fsync'd; only then the rename, and an fsync of the directory so the rename
 * survives a power cut. On any failure the temp file is removed and the old
 * file is left exactly as it was: never a short plan in place of a good one.
 */
export async function writeFileDurably(path: string, text: string, options: {what: string; kept: string; mode?: number; beforeRename?: () => void}): Promise<void> {
  const bytes = Buffer.from(text, 'utf8')
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`)
  let handle: FileHandle | undefined
  try {
    handle = await open(temp, 'wx', options.mode ?? 0o600)
    let offset = 0
    while (offset < bytes.length) {
      const {bytesWritten} = await handle.write(bytes, offset, bytes.length - offset, offset)
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), {code: 'ENOSPC'})
      offset += bytesWritten
    }
    await handle.sync()
    const size = (await handle.stat()).size
    if (size !== bytes.length) throw Object.assign(new Error(`wrote ${size} of ${bytes.length} bytes`), {code: 'ENOSPC'})
    await handle.close()
    handle = undefined
    options.beforeRename?.()
    await rename(temp, path)
  } catch (err) {
    await handle?.close().catch(() => undefined)
    await unlink(temp).catch(() => undefined)
    throw fsError(err, `save ${options.what}`, path, options.kept)
  }
  await fsyncDir(dirname(path))
}

/** Temp files a write of `path` left behind when its process was killed between write and rename (call under the plan's lock). */
export async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dirname(path))
  } catch {
    return
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dirname(path), name)).catch(() => undefined)
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle?.close()
  }
}
