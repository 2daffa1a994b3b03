import {mkdir, readdir, readFile, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import type {z} from 'zod'
import {UserError} from '../lib/errors.js'
import {fsError} from '../lib/fs-errors.js'
import {redactDeep} from '../lib/redact.js'
import {writeFileDurably} from './durable.js'
import {planIncoherence} from './coherence.js'
import {planDigest, shortDigest} from './digest.js'
import {planStateSchema, type PlanState} from './schema.js'

/** Where in the file a zod issue points, as a person would write it: steps[3].status */
function issuePath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`
  return out || '(top level)'
}

export function describeSchemaError(error: z.ZodError): string {
  const first = error.issues[0]
  if (!first) return 'does not match the plan schema'
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : ''
  return `${issuePath(first.path)}: ${first.message}${more}`
}

/**
 * Reads and validates a plan state file. Every way it can be unusable (missing,
 * not JSON, edited into the wrong shape) is a one-line UserError naming the
 * problem, never a crash halfway through a cutover.
 */
export async function readPlanState(path: string): Promise<PlanState> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`plan ${path} does not exist; create it with: mxcut plan CONFIG`)
    if (code === 'EISDIR') throw new UserError(`plan ${path} is a directory; give the plan file (DOMAIN.plan.json)`)
    throw fsError(err, 'read plan', path)
  }
  return parsePlanState(text, path)
}

export function parsePlanState(text: string, path: string): PlanState {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new UserError(`plan ${path} is not valid JSON (${(err as Error).message}); fix the edit or make the plan again with mxcut plan`)
  }
  const parsed = planStateSchema.safeParse(data)
  if (!parsed.success) {
    throw new UserError(`plan ${path} is not a valid mxcut plan: ${describeSchemaError(parsed.error)}; fix the edit or make the plan again with mxcut plan`)
  }
  const plan = parsed.data
  const ids = new Set<string>()
  for (const [i, step] of plan.steps.entries()) {
    if (ids.has(step.id)) throw new UserError(`plan ${path} is not a valid mxcut plan: steps[${i}].id: '${step.id}' appears twice`)
    ids.add(step.id)
    for (const rule of step.waitFor ?? []) {
      if (!plan.steps.slice(0, i).some((s) => s.id === rule.after)) {
        throw new UserError(`plan ${path} is not a valid mxcut plan: steps[${i}].waitFor names '${rule.after}', which is not an earlier step`)
      }
    }
    if (step.kind === 'dns-change' && (step.changes ?? []).length === 0) {
      throw new UserError(`plan ${path} is not a valid mxcut plan: steps[${i}] (${step.id}) is a dns-change step without changes`)
    }
  }
  const incoherent = planIncoherence(plan)
  if (incoherent) throw new UserError(`plan ${path} is not coherent (edited by hand?): ${incoherent}; make the plan again with mxcut plan`)
  if (plan.digest !== undefined) {
    const now = planDigest(plan)
    if (now !== plan.digest) {
      throw new UserError(`plan ${path} was changed after mxcut plan wrote it: its steps, changes or rollback no longer match its digest (written ${shortDigest(plan.digest)}, now ${shortDigest(now)}); make the plan again with mxcut plan`)
    }
  }
  return plan
}

/**
 * Writes the whole state atomically and durably (src/state/durable.ts): a
 * temp file in the same directory, every byte checked written, fsync, rename
 * over the old one, fsync of the directory. A full disk or any other failure
 * leaves the previous file exactly as it was and says so in one line.
 * Everything written passes the redactor first.
 */
export async function writePlanState(path: string, plan: PlanState, options: {beforeRename?: () => void} = {}): Promise<number> {
  const checked = planStateSchema.parse(redactDeep(plan))
  const text = JSON.stringify(checked, null, 2) + '\n'
  await writeFileDurably(path, text, {what: 'plan', kept: 'the plan file keeps its last saved state', ...options})
  return Buffer.byteLength(text)
}

/** plans/contoso.com.plan.json, or beside --out when several domains share a directory. */
export function defaultPlanPath(domain: string, dir = 'plans'): string {
  return join(dir, `${domain}.plan.json`)
}

/** Creates the plan's directory when needed, then writes the state atomically. */
export async function writePlanFile(path: string, state: PlanState): Promise<void> {
  try {
    await mkdir(dirname(path) || '.', {recursive: true})
  } catch (err) {
    throw fsError(err, 'create the directory of plan', path)
  }
  await writePlanState(path, state)
}

/**
 * Refuses to overwrite a plan that has started: its state is the only record
 * of what was changed, and rollback depends on it.
 */
export async function assertReplaceable(path: string): Promise<void> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw fsError(err, 'read (to check it before replacing it)', path)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new UserError(`${path} exists and is not a plan file; give another --out, or move it away`)
  }
  const parsed = planStateSchema.safeParse(data)
  if (!parsed.success) throw new UserError(`${path} exists and is not a valid plan file; give another --out, or move it away`)
  const started = parsed.data.steps.find((s) => s.status !== 'pending')
  if (started) {
    throw new UserError(`${path} is a plan in progress (step ${started.id} is ${started.status}); finish or roll it back, or give --out for a new file (--force replaces it)`)
  }
}

/**
 * Whether a command argument names a plan state file rather than a config or
 * a domain: a name ending .plan.json, or an existing file holding a JSON
 * object with steps. The one place commands tell plans apart.
 */
export async function isPlanPath(arg: string): Promise<boolean> {
  if (arg.endsWith('.plan.json')) return true
  let text: string
  try {
    if (!(await stat(arg)).isFile()) return false
    text = await readFile(arg, 'utf8')
  } catch {
    return false
  }
  if (!text.trimStart().startsWith('{')) return false
  try {
    const data: unknown = JSON.parse(text)
    return typeof data === 'object' && data !== null && 'steps' in data && Array.isArray(data.steps)
  } catch {
    return false
  }
}

/** Directories a plan search never enters: dependencies, version control, anything hidden. */
const SKIPPED_DIRS = /(^|\/)(node_modules|\.[^/]+)(\/|$)/

/**
 * Every plan state file under a directory (recursively), sorted by path:
 * what `status DIR` and `resume DIR` go through. Journals, locks and configs
 * are left out by isPlanPath, the one sniffer of plan files.
 */
export async function listPlanFiles(dir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(dir, {recursive: true})
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`directory ${dir} does not exist`)
    if (code === 'ENOTDIR') throw new UserError(`${dir} is not a directory`)
    throw new UserError(`directory ${dir} cannot be read (${code ?? String(err)})`)
  }
  const candidates = entries.filter((e) => e.endsWith('.json') && !SKIPPED_DIRS.test(e)).map((e) => join(dir, e))
  const plans: string[] = []
  for (const file of candidates) if (await isPlanPath(file)) plans.push(file)
  return plans.sort()
}

/** Whether a command argument is a directory (of plans) rather than one file. */
export async function isDirectory(arg: string): Promise<boolean> {
  try {
    return (await stat(arg)).isDirectory()
  } catch {
    return false
  }
}
