import {readFileSync} from 'node:fs'
import {z} from 'zod'
import {UserError} from './errors.js'
import {registerSecret} from './redact.js'

/**
 * Secrets are referenced, never stored: `env:NAME` or `file:PATH`. The
 * reference travels in configs and plan files; the value is read only when a
 * DNS host needs it and is never printed, logged or journaled.
 */
export const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/

export const secretRefSchema = z
  .string()
  .regex(SECRET_REF, {message: 'must be a reference, env:NAME or file:PATH, never the secret itself'})

export function resolveSecret(ref: string, what: string): string {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4)
    const value = process.env[name]
    if (value === undefined || value === '') throw new UserError(`${what}: environment variable ${name} is not set (export ${name}=… before running)`)
    registerSecret(value)
    return value
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5)
    try {
      const value = readFileSync(path, 'utf8').trim()
      registerSecret(value)
      return value
    } catch (err) {
      throw new UserError(`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  throw new UserError(`${what} must be a reference (env:NAME or file:PATH), not the secret itself`)
}

/** Every secret reference (env:NAME, file:PATH) in a config or a part of one. */
export function secretRefsIn(value: unknown): string[] {
  const out = new Set<string>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (SECRET_REF.test(v)) out.add(v)
    } else if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk(value)
  return [...out]
}

/**
 * Registers with the redactor the values behind every reference in `value`
 * (a config's dns block), before anything talks to a DNS host: a value the
 * host never reads itself (it is not set yet, or the SDK reads it) is still
 * removed from any output. A reference that cannot be read is skipped here;
 * the host says so when it needs it.
 */
export function registerConfiguredSecrets(value: unknown): void {
  for (const ref of secretRefsIn(value)) {
    try {
      resolveSecret(ref, 'secret')
    } catch {
      /* reported by the host that needs it */
    }
  }
}
