import {readFileSync} from 'node:fs'
import {z} from 'zod'
import {UserError} from './errors.js'

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
    return value
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5)
    try {
      return readFileSync(path, 'utf8').trim()
    } catch (err) {
      throw new UserError(`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  throw new UserError(`${what} must be a reference (env:NAME or file:PATH), not the secret itself`)
}
