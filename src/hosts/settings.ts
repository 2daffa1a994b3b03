import {isIP} from 'node:net'
import {z} from 'zod'

/**
 * Fields the hosts' settings schemas share. Each host's own schema (its
 * `dns.<name>` block) lives in its module under providers/. Secrets are
 * references (env:NAME, file:PATH), resolved only when a host connects.
 */

/** IP, IP:PORT, [IPv6]:PORT or a bare IPv6 address: the server must be reachable without a lookup. */
export const serverAddress = z.string().refine(
  (s) => {
    const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s)
    if (bracketed) return isIP(bracketed[1]) === 6 && (bracketed[2] === undefined || Number(bracketed[2]) <= 65535)
    if (isIP(s) !== 0) return true
    const m = /^([^:]+):(\d{1,5})$/.exec(s)
    return m !== null && isIP(m[1]) === 4 && Number(m[2]) >= 1 && Number(m[2]) <= 65535
  },
  {message: 'must be an IP address with an optional port: 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53'},
)

export const httpUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s)
      return u.protocol === 'https:' || u.protocol === 'http:'
    } catch {
      return false
    }
  },
  {message: 'must be an http:// or https:// URL'},
)
