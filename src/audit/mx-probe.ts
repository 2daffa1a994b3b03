import {isIPv6} from 'node:net'
import {probeSmtp, type SmtpProbeResult} from './smtp.js'

/**
 * One SMTP session per address of an MX host (A and AAAA), each delivering
 * the probe the way a sender would (src/audit/smtp.ts: never DATA), and what
 * each answer means for the domain's mail. The audit, the run's probe steps
 * and `mxcut drill` all read MX hosts through here.
 */

/** What a sender that reaches this address gets for the domain's mail. */
export type DeliveryResult =
  /** RCPT 250/251: the host takes the domain's mail. */
  | 'accept'
  /** A 4xx: senders queue the message and retry (greylisting, a host not ready yet). */
  | 'defer'
  /** RCPT 5xx: senders return the message to its sender. */
  | 'bounce'
  /** No conversation up to RCPT from here: no connection, no greeting, or this client refused before the recipient. */
  | 'unreachable'

export function deliveryResult(p: SmtpProbeResult): DeliveryResult {
  switch (p.outcome) {
    case 'accepted':
      return 'accept'
    case 'tempfail':
      return 'defer'
    case 'rejected':
      return 'bounce'
    default:
      return 'unreachable'
  }
}

/** The reply as people quote it: "554 5.7.1 Relay access denied", or why there was none. */
export function replyText(p: SmtpProbeResult): string {
  return p.code !== undefined ? `${p.code} ${p.reply ?? ''}`.trim() : (p.error ?? '')
}

/** True when STARTTLS gave a certificate for the host name from a trusted root (what a sender that checks certificates needs); null without a TLS session. */
export function certificateMatches(p: SmtpProbeResult): boolean | null {
  const cert = p.tls?.established ? p.tls.certificate : undefined
  if (!cert) return null
  return cert.coversHost !== false && cert.trusted
}

/** Senders try IPv4 first on most networks; the order only decides the order of the report. */
export function orderAddresses(addresses: readonly string[]): string[] {
  return [...addresses].sort((a, b) => Number(isIPv6(a)) - Number(isIPv6(b)))
}

export interface HostProbeOptions {
  /** RCPT TO address: postmaster@DOMAIN. */
  recipient: string
  port: number
  timeoutMs: number
  /** Extra trusted CA certificates (PEM) for the certificate check. */
  ca?: string
}

/** Every address of one MX host, each in its own session, at once. */
export async function probeAddresses(exchange: string, addresses: readonly string[], o: HostProbeOptions): Promise<SmtpProbeResult[]> {
  return Promise.all(
    orderAddresses(addresses).map((address) =>
      probeSmtp({address, port: o.port, host: exchange, recipient: o.recipient, timeoutMs: o.timeoutMs, ...(o.ca ? {ca: o.ca} : {})}),
    ),
  )
}

/**
 * The answer that speaks for a host with several addresses: a refusal at any
 * of them (some senders will reach that one), else an acceptance, else a
 * deferral, else the first failure.
 */
export function hostVerdict(probes: readonly SmtpProbeResult[]): SmtpProbeResult | undefined {
  const by = (r: string) => probes.find((p) => deliveryResult(p) === r)
  return by('bounce') ?? by('accept') ?? by('defer') ?? probes.find((p) => p.outcome === 'refused-client') ?? probes[0]
}

/** The probe whose STARTTLS the audit judges: the first address with a TLS problem, else the first with TLS at all. */
export function tlsProbe(probes: readonly SmtpProbeResult[]): SmtpProbeResult | undefined {
  const withTls = probes.filter((p) => p.tls)
  return withTls.find((p) => !p.tls?.offered || !p.tls.established || certificateMatches(p) === false) ?? withTls[0]
}

/** One address of one MX host, as `--json` reports carry it (drill's shape, with the role in the audit). */
export interface AddressProbeJson {
  priority: number
  exchange: string
  address: string
  result: DeliveryResult
  /** Where the conversation ended and the reply (or why there was none). */
  stage: SmtpProbeResult['stage']
  reply: string
  starttls: boolean
  certificateMatches: boolean | null
}

export function addressJson(host: {priority: number; exchange: string}, p: SmtpProbeResult): AddressProbeJson {
  return {
    priority: host.priority,
    exchange: host.exchange,
    address: p.address,
    result: deliveryResult(p),
    stage: p.stage,
    reply: replyText(p),
    starttls: p.tls?.established === true,
    certificateMatches: certificateMatches(p),
  }
}
