import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseDocument} from 'yaml'
import {canonicalName} from '../dns/names.js'
import {UserError} from '../lib/errors.js'
import {profileFileSchema, type ProfileFile} from './schema.js'
import type {Profile} from './types.js'

/** The profile data files live beside this module (src/profiles in development, dist/profiles once built). */
export const PROFILES_DIR = fileURLToPath(new URL('.', import.meta.url))

function where(issue: {path: readonly PropertyKey[]}): string {
  return issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
}

/** One data file, parsed and checked: a problem is one line naming the file and the field. */
export function parseProfileFile(text: string, file: string): Profile {
  const doc = parseDocument(text, {uniqueKeys: true})
  if (doc.errors.length > 0) throw new UserError(`profile file ${file}: not valid YAML: ${doc.errors[0].message.split('\n')[0]}`)
  const result = profileFileSchema.safeParse(doc.toJS())
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new UserError(`profile file ${file}: ${where(issue) || '(top level)'} ${issue.message}`)
  }
  return toProfile(result.data, file)
}

function toProfile(data: ProfileFile, file: string): Profile {
  const detect = data.detect.mx.map((p) => new RegExp(p, 'i'))
  const assigned = data.mx.assigned.map((a) => ({pattern: new RegExp(a.pattern, 'i'), description: a.description}))
  return {
    ...data,
    file,
    matchesExchange: (exchange) => detect.some((re) => re.test(canonicalName(exchange))),
    assignedMx: (exchange) => assigned.find((a) => a.pattern.test(canonicalName(exchange)))?.description ?? null,
  }
}

/** Every *.yaml of a directory, sorted by id; ids and aliases must be unique. */
export function loadProfilesFrom(dir: string): Profile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
  const profiles = files.map((f) => parseProfileFile(readFileSync(join(dir, f), 'utf8'), join(dir, f)))
  const names = new Map<string, string>()
  for (const p of profiles) {
    if (`${p.id}.yaml` !== p.file.split(/[\\/]/).pop()) throw new UserError(`profile file ${p.file}: id '${p.id}' must match the file name (${p.id}.yaml)`)
    for (const name of [p.id, ...p.aliases]) {
      const other = names.get(name)
      if (other) throw new UserError(`profile file ${p.file}: '${name}' is already used by ${other}`)
      names.set(name, p.file)
    }
  }
  return profiles.sort((a, b) => a.id.localeCompare(b.id))
}

let cache: readonly Profile[] | null = null

/** The shipped profiles, read once, synchronously, on first use. */
export function loadedProfiles(): readonly Profile[] {
  cache ??= Object.freeze(loadProfilesFrom(PROFILES_DIR))
  return cache
}
