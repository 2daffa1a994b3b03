/**
 * Text that quotes input (a domain, a field, a value from a file or the
 * network) is written to a terminal and to logs: it must not be able to move
 * the cursor, recolour the screen, break the one-line message or fill the
 * screen with megabytes. These helpers escape control characters and bound
 * the length.
 */

/** C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators and bidi overrides. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0)
  if (ch === '\n') return '\\n'
  if (ch === '\r') return '\\r'
  if (ch === '\t') return '\\t'
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** Control characters written as escapes (\x1b, \n, \u202e). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne)
}

/** Input as a message quotes it: control characters escaped, at most `max` characters, then an ellipsis with the full length. */
export function bounded(input: string, max = 200): string {
  const clipped = input.length > max ? input.slice(0, max) : input
  const escaped = escapeControl(clipped)
  return input.length > max ? `${escaped}… (${input.length} characters)` : escaped
}

/** A whole message made safe for one line of a terminal: escaped, and cut at `max` characters. */
export function oneLine(message: string, max = 1000): string {
  const escaped = escapeControl(message.length > max * 2 ? message.slice(0, max * 2) : message)
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped
}
