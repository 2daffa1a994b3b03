import {UserError} from './errors.js'

/**
 * The one redactor every message that leaves mxcut passes through: errors,
 * the journal, the plan file, stdout and stderr. It removes every secret value
 * mxcut has read (each resolved env:/file: reference registers itself, and a
 * session registers the references of the config in use) and the values of
 * credential headers (Authorization, Bearer tokens, X-API-Key, …), whatever
 * echoed them: a DNS host's API that copies the request into its error, an SDK
 * that prints its request, a server that signs with an unexpected key name.
 */

export const REDACTED = '[redacted]'

/** Shorter values are not secrets worth the name, and redacting them would garble ordinary text. */
const MIN_SECRET_LENGTH = 6

const secrets = new Set<string>()
let pattern: RegExp | null = null

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Remembers a secret value for the rest of the process; every later message is cleaned of it (case-insensitively). */
export function registerSecret(value: string | null | undefined): void {
  const v = value?.trim()
  if (!v || v.length < MIN_SECRET_LENGTH || secrets.has(v)) return
  secrets.add(v)
  // Longest first, so a secret that contains another is removed whole.
  const sorted = [...secrets].sort((a, b) => b.length - a.length)
  pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'gi')
}

/** How many secret values are registered (for tests and diagnostics: never the values). */
export function secretCount(): number {
  return secrets.size
}

/** Values of the HTTP headers that carry credentials, as a request dump or a JSON echo shows them: `Authorization: …`, `"x-api-key":"…"`. */
const CREDENTIAL_HEADER = /\b((?:proxy-)?authorization|x-api-key|x-auth-key|x-auth-token|x-amz-security-token)(["']?\s*[:=]\s*["']?)([^"'\r\n]+)/gi
/** A Bearer credential (RFC 6750 token68) long enough to be one: prose such as "a bearer token" is left alone. */
const BEARER = /\b(bearer)\s+[A-Za-z0-9\-._~+/]{16,}=*/gi
/** user:password@ in URLs. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi

/** The text with every registered secret and every credential header value replaced by [redacted]. */
export function redact(text: string): string {
  let out = pattern ? text.replace(pattern, REDACTED) : text
  out = out.replace(CREDENTIAL_HEADER, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
  out = out.replace(BEARER, (_m, word: string) => `${word} ${REDACTED}`)
  out = out.replace(URL_PASSWORD, `$1${REDACTED}@`)
  return out
}

/** Every string inside a JSON-like value redacted (keys included); the shape is kept. */
export function redactDeep<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k), walk(x)]))
    }
    return v
  }
  return walk(value) as T
}

/**
 * The same error with its message and stack redacted, and its cause dropped
 * (a cause is often the raw SDK error holding the request, headers and all).
 * A UserError stays a UserError of the same class and exit code.
 */
export function redactError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err)))
  const message = redact(err.message)
  const stack = err.stack ? redact(err.stack) : undefined
  if (message === err.message && stack === err.stack && err.cause === undefined) return err
  let out: Error
  if (err instanceof UserError) {
    out = Object.create(Object.getPrototypeOf(err) as object) as Error
    Object.assign(out, err)
    Object.defineProperty(out, 'message', {value: message, writable: true, configurable: true, enumerable: false})
    delete (out as {cause?: unknown}).cause
  } else {
    out = new Error(message)
    out.name = err.name
  }
  if (stack) out.stack = stack
  return out
}

let installed = false

/**
 * Makes stdout and stderr of this process pass through the redactor, so no
 * output path (a library's own printing included) can show a registered
 * secret. Idempotent; a chunk is decoded and re-encoded only when it changes.
 */
export function installOutputRedaction(): void {
  if (installed) return
  installed = true
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') return write(redact(chunk), ...rest)
      if (chunk instanceof Uint8Array) {
        const text = Buffer.from(chunk).toString('utf8')
        const clean = redact(text)
        return write(clean === text ? chunk : Buffer.from(clean, 'utf8'), ...rest)
      }
      return write(chunk, ...rest)
    }) as typeof stream.write
  }
}
