import {createHash, X509Certificate} from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import {errorMessage} from '../lib/errors.js'

/** What STARTTLS gave on one SMTP connection (RFC 3207). */
export interface TlsReport {
  /** The server listed STARTTLS in its EHLO reply. */
  offered: boolean
  /** The TLS handshake completed (the conversation went on inside it). */
  established: boolean
  /** "TLSv1.3"… */
  protocol?: string
  certificate?: CertificateReport
  /** Why STARTTLS could not be used: the command refused, or the handshake failed. */
  error?: string
}

export interface CertificateReport {
  subject: string
  issuer: string
  /** DNS names of the subjectAltName (or the CN when there is none). */
  names: string[]
  validTo: string
  /** The names cover the host name probed (RFC 6125, as Node's checkServerIdentity); null when probed without a name. */
  coversHost: boolean | null
  /** The chain verifies against the roots trusted here (Node's, NODE_EXTRA_CA_CERTS, and any `ca` given), dates included. */
  trusted: boolean
  /** OpenSSL's reason when not trusted (SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED…). */
  trustError?: string
  /** For DANE (RFC 6698 §2.1): the certificate and its SubjectPublicKeyInfo, DER, as hex. */
  der: string
  spki: string
}

const contexts = new Map<string, tls.SecureContext>()

/**
 * Trusted roots: Node's bundle plus `ca` (a `ca` option alone would replace
 * the bundle). Built once per CA: parsing the bundle costs about 100 ms.
 */
function trustedContext(ca?: string): tls.SecureContext | undefined {
  if (!ca) return undefined
  let context = contexts.get(ca)
  if (!context) {
    context = tls.createSecureContext({ca: [...tls.rootCertificates, ca]})
    contexts.set(ca, context)
  }
  return context
}

function describeCertificate(socket: tls.TLSSocket, host: string | null): CertificateReport {
  const peer = socket.getPeerCertificate()
  const x509 = new X509Certificate(peer.raw)
  const sanNames = (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase())
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x509.subject)?.[1] ?? ''
  return {
    subject: cn || x509.subject.replace(/\n/g, ', '),
    issuer: /(?:^|\n)CN=([^\n]*)/.exec(x509.issuer)?.[1] ?? x509.issuer.replace(/\n/g, ', '),
    names: sanNames.length > 0 ? sanNames : cn ? [cn.toLowerCase()] : [],
    validTo: new Date(x509.validTo).toISOString(),
    coversHost: host === null ? null : tls.checkServerIdentity(host, peer) === undefined,
    trusted: socket.authorized,
    ...(socket.authorized ? {} : {trustError: String(socket.authorizationError ?? 'not trusted')}),
    der: peer.raw.toString('hex'),
    spki: x509.publicKey.export({type: 'spki', format: 'der'}).toString('hex'),
  }
}

/**
 * The TLS handshake after "220" to STARTTLS, on the connection's own socket.
 * The certificate is never refused here: it is described, so the probe can
 * say what a sender that enforces TLS would think of it, and still learn
 * whether the recipient is accepted.
 */
export function startTls(socket: net.Socket, host: string | null, options: {timeoutMs: number; ca?: string}): Promise<{ok: true; socket: tls.TLSSocket; certificate: CertificateReport} | {ok: false; error: string}> {
  return new Promise((resolve) => {
    const context = trustedContext(options.ca)
    const secure = tls.connect({
      socket,
      ...(host !== null && net.isIP(host) === 0 ? {servername: host} : {}),
      rejectUnauthorized: false,
      // The name is checked on its own below, so `authorized` speaks of the chain alone.
      checkServerIdentity: () => undefined,
      ...(context ? {secureContext: context} : {}),
    })
    const timer = setTimeout(() => finish({ok: false, error: `no TLS handshake within ${options.timeoutMs} ms`}), options.timeoutMs)
    let settled = false
    function finish(r: {ok: true; socket: tls.TLSSocket; certificate: CertificateReport} | {ok: false; error: string}): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      secure.removeListener('error', onError)
      if (!r.ok) secure.destroy()
      resolve(r)
    }
    function onError(err: Error): void {
      finish({ok: false, error: `TLS handshake failed: ${errorMessage(err)}`})
    }
    secure.once('error', onError)
    secure.once('close', () => finish({ok: false, error: 'TLS handshake failed: the server closed the connection'}))
    secure.once('secureConnect', () => {
      try {
        finish({ok: true, socket: secure, certificate: describeCertificate(secure, host)})
      } catch (err) {
        finish({ok: false, error: `unreadable certificate: ${errorMessage(err)}`})
      }
    })
  })
}

/** A TLSA record's data (RFC 6698 §2.1) as mxcut reads it from DNS. */
export interface TlsaRecord {
  usage: number
  selector: number
  matchingType: number
  /** Hex. */
  certificate: string
}

/** Whether a TLSA record's association data matches the certificate (selector 0: whole cert, 1: SPKI; matching 0: exact, 1: SHA-256, 2: SHA-512). */
export function tlsaMatches(record: TlsaRecord, cert: Pick<CertificateReport, 'der' | 'spki'>): boolean {
  const data = Buffer.from(record.selector === 1 ? cert.spki : cert.der, 'hex')
  const want = record.certificate.toLowerCase()
  switch (record.matchingType) {
    case 0:
      return data.toString('hex') === want
    case 1:
      return createHash('sha256').update(data).digest('hex') === want
    case 2:
      return createHash('sha512').update(data).digest('hex') === want
    default:
      return false
  }
}

/** One phrase for a report line: "STARTTLS TLSv1.3, certificate for mx.contoso.com (trusted)". */
export function describeTls(t: TlsReport | undefined): string {
  if (!t) return ''
  if (!t.offered) return 'no STARTTLS'
  if (!t.established) return `STARTTLS failed (${t.error ?? 'no TLS session'})`
  const c = t.certificate
  if (!c) return `STARTTLS ${t.protocol ?? ''}`.trim()
  const notes = [c.coversHost === false ? 'not for this host' : null, c.trusted ? 'trusted' : `not trusted: ${c.trustError ?? '?'}`].filter(Boolean)
  return `STARTTLS ${t.protocol ?? ''}, certificate for ${c.names.join(', ') || c.subject} (${notes.join(', ')})`.replace(/ ,/, ',')
}
