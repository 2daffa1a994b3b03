import {closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {canonicalName, relativeName} from '../dns/names.js'
import {rdataKeys, sameData, type RRset} from '../zone/rrset.js'
import {awaitChange, type ManualDeps} from './providers/manual.js'
import {conflictError, matchesTarget, targetOf} from './rdata.js'
import {DnsHostError, type RecordChange} from './types.js'

/**
 * What the DNS-as-code hosts (octodns, zonefile) share: the changes still to
 * make in the file (a change already there, from a run that stopped before
 * the deploy, is not made twice; one the file holds otherwise is someone
 * else's edit), the atomic write, and the wait for the admin's pipeline.
 */

export interface CodeFile {
  /** The file as the config names it, for messages. */
  path: string
  /** How the zone's files are deployed (shown to the admin). */
  deploy: string
}

/** The changes the file does not hold yet; refuses when the file holds neither the before nor the after state. */
export function pendingChanges(changes: readonly RecordChange[], read: (name: string, type: string) => RRset | null, file: string): RecordChange[] {
  const out: RecordChange[] = []
  for (const change of changes) {
    const held = read(change.name, change.type)
    if (matchesTarget(held, change)) continue
    const expected = change.expect === undefined ? undefined : change.expect === null ? null : {type: change.type, records: change.expect.records}
    if (expected !== undefined && !sameData(held, expected)) {
      const err = conflictError(change, expected, held)
      throw new DnsHostError('conflict', `${file}: ${err.message.replace(/; re-run the plan against live DNS$/, '')}; someone edited the file (or it is not what the servers serve): commit or undo that edit, then re-run the plan`)
    }
    out.push(change)
  }
  return out
}

/**
 * Writes beside the file and renames over it, keeping its mode: readers (and
 * the pipeline) see the old file or the new one, never half of it. `check`
 * sees the new text in place before the rename and may refuse it.
 */
export function writeAtomically(path: string, text: string, check?: (tmp: string) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.mxcut-${process.pid}`)
  let mode = 0o644
  try {
    mode = statSync(path).mode & 0o777
  } catch {
    /* a new file */
  }
  try {
    const fd = openSync(tmp, 'w', mode)
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    check?.(tmp)
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, {force: true})
    if (err instanceof DnsHostError) throw err
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new DnsHostError('rejected', `cannot write ${path} (${code}); check that mxcut may write there`, {cause: err})
  }
}

export function readCodeFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new DnsHostError(code === 'ENOENT' ? 'zone-not-found' : 'rejected', `${what} ${path} cannot be read (${code}); check dns settings`, {cause: err})
  }
}

function summary(change: RecordChange, zone: string): string {
  const target = targetOf(change)
  const label = `${relativeName(canonicalName(change.name), zone)} ${change.type}`
  return target ? `${label} → ${rdataKeys(target).join(', ')} (TTL ${target.ttl})` : `${label} removed`
}

/** Tells the admin what changed in the file and how to deploy it, then waits like the manual host. */
export async function deployAndWait(deps: ManualDeps, file: CodeFile, changes: readonly RecordChange[], written: boolean, extra: string[] = []): Promise<void> {
  const zone = canonicalName(deps.zone)
  const lines = [
    written ? `Changed ${file.path} (zone ${zone}):` : `${file.path} already holds ${changes.length === 1 ? 'this change' : 'these changes'} (zone ${zone}):`,
    ...changes.map((c) => `  ${summary(c, zone)}`),
    ...extra,
    `Commit and deploy it: ${file.deploy}`,
  ]
  deps.print(lines.join('\n'))
  await awaitChange(deps, changes, `Have you committed ${file.path} and deployed it?`, `in ${file.path} and its deployment`)
}
