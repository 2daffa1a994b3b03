import {isIP} from 'node:net'
import {UserError} from '../lib/errors.js'
import {bounded} from '../lib/bounded.js'

/** A DNS server reached over UDP/TCP port 53 (or another port). */
export interface DnsServer {
  kind: 'dns'
  address: string
  port: number
  /** What the user called it: "google", "ns1.contoso.com", "127.0.0.1:5301". */
  name: string
}

/** An RFC 8484 DNS-over-HTTPS endpoint. */
export interface DohServer {
  kind: 'doh'
  url: string
  name: string
}

export type ServerSpec = DnsServer | DohServer

/** Public resolver sets users may name instead of typing addresses. */
export const WELL_KNOWN_RESOLVERS: Record<string, string[]> = {
  google: ['8.8.8.8', '8.8.4.4'],
  cloudflare: ['1.1.1.1', '1.0.0.1'],
  quad9: ['9.9.9.9', '149.112.112.112'],
  opendns: ['208.67.222.222', '208.67.220.220'],
}

export const WELL_KNOWN_DOH: Record<string, string> = {
  'google-doh': 'https://dns.google/dns-query',
  'cloudflare-doh': 'https://cloudflare-dns.com/dns-query',
  'quad9-doh': 'https://dns.quad9.net/dns-query',
}

export const DEFAULT_RESOLVERS = ['google', 'cloudflare', 'quad9', 'opendns']

/** Formats a server as users type it: 192.0.2.1, 192.0.2.1:5353, [2001:db8::1]:53. */
export function serverLabel(s: ServerSpec): string {
  if (s.kind === 'doh') return s.url
  const v6 = isIP(s.address) === 6
  if (s.port === 53) return s.address
  return v6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`
}

/**
 * Parses IP[:PORT], [IPv6]:PORT, a bare IPv6 address, or an https:// DoH URL.
 * Host names are refused: a server must be reachable without asking another one.
 */
export function parseServer(input: string, what = 'server'): ServerSpec {
  const raw = input.trim()
  if (/^https:\/\//i.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new UserError(`${what} '${bounded(input)}' is not a valid URL`)
    }
    return {kind: 'doh', url: url.toString(), name: raw}
  }
  if (/^http:\/\//i.test(raw)) throw new UserError(`${what} '${bounded(input)}': DNS over HTTPS needs https://`)
  let address = raw
  let port = 53
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw)
  if (bracketed) {
    address = bracketed[1]
    if (bracketed[2] !== undefined) port = Number(bracketed[2])
  } else if (isIP(raw) !== 6) {
    const m = /^([^:]+):(\d+)$/.exec(raw)
    if (m) {
      address = m[1]
      port = Number(m[2])
    }
  }
  if (isIP(address) === 0) {
    throw new UserError(
      `${what} '${bounded(input)}' is not an IP address (use IP, IP:PORT, [IPv6]:PORT, https://… or one of ${Object.keys(WELL_KNOWN_RESOLVERS).join(', ')})`,
    )
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`${what} '${bounded(input)}' has an invalid port`)
  return {kind: 'dns', address, port, name: raw}
}

/** Expands resolver names (google, cloudflare, …) and parses the rest. */
export function parseResolvers(inputs: readonly string[]): ServerSpec[] {
  const out: ServerSpec[] = []
  for (const input of inputs) {
    const key = input.trim().toLowerCase()
    const set = WELL_KNOWN_RESOLVERS[key]
    if (set) {
      for (const address of set) out.push({kind: 'dns', address, port: 53, name: `${key} ${address}`})
      continue
    }
    const doh = WELL_KNOWN_DOH[key]
    if (doh) {
      out.push({kind: 'doh', url: doh, name: key})
      continue
    }
    out.push(parseServer(input, 'resolver'))
  }
  return out
}
