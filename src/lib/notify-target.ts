import {SECRET_REF} from './secrets.js'

/**
 * What is wrong with a notification target (--notify, notify: in a config),
 * or null: a command, an https:// webhook (plain http only to this machine),
 * or an env:NAME / file:PATH reference holding either.
 */
export function notifyTargetProblem(value: string): string | null {
  if (value.trim() === '') return 'must not be empty: give a command, an https:// URL, or env:NAME'
  if (SECRET_REF.test(value)) return null
  if (/^[a-z]+:\/\//i.test(value)) {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return 'is not a valid URL (write it as https://…)'
    }
    if (url.protocol === 'https:') return null
    if (url.protocol === 'http:' && /^(127\.|localhost$|\[::1\]$)/.test(url.hostname)) return null
    return 'webhooks must use https:// (plain http only to this machine)'
  }
  return null
}
