import {randomInt} from 'node:crypto'
import * as packet from 'dns-packet'
import type {RecordType} from 'dns-packet'
import {z} from 'zod'
import type {DnsClient} from '../../dns/client.js'
import {queryWithTcpFallback} from '../../dns/fallback.js'
import {canonicalName} from '../../dns/names.js'
import {parseServer, serverLabel, type DnsServer} from '../../dns/server.js'
import {DnsTimeout} from '../../dns/timeout.js'
import {decodeSecret, signMessage, TSIG_ALGORITHMS, TSIG_ERRORS, verifyMessage, WEAK_TSIG_ALGORITHMS, type TsigCheck, type TsigKey} from '../../dns/tsig.js'
import {buildUpdateMessage, parseResponseHeader, sendUpdate, UnsupportedTypeError, type UpdateRecord} from '../../dns/update.js'
import {errorMessage, UserError} from '../../lib/errors.js'
import {registerSecret} from '../../lib/redact.js'
import {resolveSecret, secretRefSchema} from '../../lib/secrets.js'
import {rrsetFrom, type RRset} from '../../zone/rrset.js'
import {findConflict} from '../rdata.js'
import {serverAddress} from '../settings.js'
import {DnsHostError, type DnsHost, type HostModule, type RecordChange} from '../types.js'

export const tsigKeySchema = z.strictObject({
  name: z.string().min(1).describe('TSIG key name as configured on the server (key "NAME" { … } in named.conf)'),
  algorithm: z.enum(TSIG_ALGORITHMS).default('hmac-sha256').describe('hmac-sha1 only for servers that know nothing newer (deprecated, RFC 8945 §6)'),
  secret: secretRefSchema.describe('env:NAME or file:PATH holding the base64 secret (tsig-keygen output)'),
})

export const rfc2136SettingsSchema = z.strictObject({
  server: serverAddress.describe('primary server that accepts UPDATE: IP[:PORT]'),
  zone: z.string().min(1).optional().describe('zone to update; default: the zone found by discovery'),
  key: tsigKeySchema,
  transport: z.enum(['udp', 'tcp']).default('udp').describe('udp falls back to TCP on truncation or silence'),
})

export type Rfc2136Settings = z.infer<typeof rfc2136SettingsSchema>

/**
 * Prerequisites (RFC 2136 §2.4) from what the plan read: "RRset exists with
 * exactly this data" (value-dependent, §2.4.2) or "RRset does not exist"
 * (§2.4.3). TTLs cannot be a prerequisite; the protocol compares data only.
 */
export function prerequisitesFor(changes: readonly RecordChange[]): UpdateRecord[] {
  const out: UpdateRecord[] = []
  for (const c of changes) {
    if (c.expect === undefined) continue
    if (c.expect === null || c.expect.records.length === 0) {
      out.push({name: c.name, type: c.type, class: 'NONE', ttl: 0})
    } else {
      for (const data of c.expect.records) out.push({name: c.name, type: c.type, class: 'IN', ttl: 0, data})
    }
  }
  return out
}

/** Replacing an RRset is "delete RRset" (class ANY, §2.5.2) then the adds, in one message. */
export function updatesFor(changes: readonly RecordChange[]): UpdateRecord[] {
  const out: UpdateRecord[] = []
  for (const c of changes) {
    out.push({name: c.name, type: c.type, class: 'ANY', ttl: 0})
    if (c.action === 'replace') for (const data of c.records) out.push({name: c.name, type: c.type, class: 'IN', ttl: c.ttl, data})
  }
  return out
}

/** What a plan and a run say about these settings before anything is sent. */
export function rfc2136Notes(settings: Pick<Rfc2136Settings, 'key'>): string[] {
  const {key} = settings
  if (!WEAK_TSIG_ALGORITHMS.has(key.algorithm)) return []
  return [
    `TSIG key '${key.name}' uses ${key.algorithm}, which RFC 8945 §6 deprecates: it still works, but make an hmac-sha256 key on the server (tsig-keygen -a hmac-sha256 ${key.name}) and use it when you can`,
  ]
}

export interface Rfc2136Deps {
  zone: string
  client: DnsClient
  timeoutMs?: number
  /** Where the host writes warnings (a deprecated algorithm). */
  print?: (text: string) => void
}

/** One zone on one primary, changed with UPDATEs signed by one key. */
interface Rfc2136Api {
  readonly settings: Rfc2136Settings
  readonly client: DnsClient
  readonly server: DnsServer
  /** How messages name the server. */
  readonly where: string
  readonly zone: string
  /** How messages name the key: never its secret. */
  readonly keyLabel: string
  readonly timeoutMs: number
}

export function createRfc2136Host(settings: Rfc2136Settings, deps: Rfc2136Deps): DnsHost {
  const spec = parseServer(settings.server, 'dns.rfc2136.server')
  if (spec.kind !== 'dns') throw new UserError('dns.rfc2136.server must be IP[:PORT]: DNS UPDATE does not go over HTTPS')
  const api: Rfc2136Api = {
    settings,
    client: deps.client,
    server: spec,
    where: serverLabel(spec),
    zone: canonicalName(settings.zone ?? deps.zone),
    keyLabel: `TSIG key '${settings.key.name}' (${settings.key.algorithm})`,
    timeoutMs: deps.timeoutMs ?? 5000,
  }
  for (const note of rfc2136Notes(settings)) deps.print?.(`warning: ${note}`)
  return {name: 'rfc2136', atomic: true, read: (name, type) => read(api, name, type), apply: (changes) => apply(api, changes), check: () => check(api)}
}

function loadKey(api: Rfc2136Api): TsigKey {
  const {key} = api.settings
  const text = resolveSecret(key.secret, `secret of ${api.keyLabel}`)
  try {
    const secret = decodeSecret(text)
    // The same secret in the other forms a message could show it in.
    registerSecret(secret.toString('base64'))
    registerSecret(secret.toString('hex'))
    return {name: key.name, algorithm: key.algorithm, secret}
  } catch (err) {
    // The reference is named, never the value.
    throw new DnsHostError('auth', `${api.keyLabel}: the secret in ${key.secret} is unusable (${errorMessage(err)}); give the base64 secret tsig-keygen printed`)
  }
}

async function read(api: Rfc2136Api, name: string, type: string): Promise<RRset | null> {
  const {where} = api
  const r = await queryWithTcpFallback(api.client, api.server, name, type as RecordType, {recursion: false, timeoutMs: api.timeoutMs, ...(api.settings.transport === 'tcp' ? {tcp: 'only' as const} : {})})
  if (r.status === 'timeout' || r.status === 'error') {
    throw new DnsHostError('unreachable', `${where} did not answer for ${canonicalName(name)} ${type} (${r.error ?? r.status})`)
  }
  if (r.status === 'refused' || !r.aa) {
    throw new DnsHostError('zone-not-found', `${where} is not authoritative for ${canonicalName(name)} (answered ${r.rcode ?? r.status}); check dns.rfc2136.server and zone`)
  }
  if (r.status === 'servfail') throw new DnsHostError('rejected', `${where} answered SERVFAIL for ${canonicalName(name)} ${type}`)
  return rrsetFrom(r.answers, name, type)
}

/** Sends a message signed with the key; a TSIG error in the answer (the key refused) becomes one line naming the key. */
async function signedExchange(api: Rfc2136Api, unsigned: Buffer, key: TsigKey, what: string): Promise<{response: Buffer; check: TsigCheck}> {
  const {where, zone, timeoutMs} = api
  const {message, mac} = signMessage(unsigned, key)
  let response: Buffer
  try {
    response = (await sendUpdate(api.server, message, {timeoutMs, tcp: api.settings.transport === 'tcp' ? 'only' : 'fallback'})).response
  } catch (err) {
    if (err instanceof UserError) throw err
    const why = err instanceof DnsTimeout ? `no answer within ${timeoutMs} ms` : errorMessage(err)
    throw new DnsHostError('unreachable', `${what} to ${where} for zone ${zone} failed: ${why}`, {cause: err})
  }
  const check = verifyMessage(response, key, {requestMac: mac})
  const tsigError = check.record?.error ?? 0
  if (tsigError !== 0) {
    const code = TSIG_ERRORS[tsigError] ?? `TSIG error ${tsigError}`
    throw new DnsHostError('auth', `${where} rejected ${api.keyLabel} for zone ${zone}: ${code} (${tsigErrorHint(api, code)}); the zone was not changed`)
  }
  return {response, check}
}

function tsigErrorHint(api: Rfc2136Api, code: string): string {
  return code === 'BADKEY'
    ? `the server has no key of that name and algorithm allowed here`
    : code === 'BADSIG'
      ? `the secret in ${api.settings.key.secret} does not match the server's`
      : code === 'BADTIME'
        ? `this machine's clock differs from the server's by more than the fudge; fix the clock (NTP)`
        : 'the server refused the signature'
}

/**
 * A signed SOA query: the server checks the key as it would for an UPDATE
 * and nothing changes. BIND and Knot answer a refused key NOTAUTH with the
 * TSIG error (BADKEY, BADSIG, BADTIME); PowerDNS answers NOTAUTH with no
 * TSIG record at all, so the rcode is read before the missing signature. A
 * server that answers the query unsigned and NOERROR checks keys on UPDATE
 * only, which then says so; a silent one is left to the step that reads it.
 */
async function check(api: Rfc2136Api): Promise<void> {
  const key = loadKey(api)
  const query = Buffer.from(packet.encode({type: 'query', id: randomInt(0, 65536), flags: 0, questions: [{type: 'SOA', name: api.zone, class: 'IN'}]}))
  let answer: {response: Buffer; check: TsigCheck}
  try {
    answer = await signedExchange(api, query, key, 'a signed SOA query')
  } catch (err) {
    if (err instanceof DnsHostError && err.kind === 'unreachable') return
    throw err
  }
  const {rcodeName} = parseResponseHeader(answer.response)
  if (!answer.check.ok && answer.check.reason === 'unsigned' && rcodeName === 'NOTAUTH') throw wrongKey(api, rcodeName)
}

/** The server refused the key without saying how (no TSIG record in its answer): name the key and what to compare. */
function wrongKey(api: Rfc2136Api, rcodeName: string): DnsHostError {
  const {key} = api.settings
  return new DnsHostError(
    'auth',
    `${api.where} answered ${rcodeName} without a signature to a message signed with ${api.keyLabel}: it does not accept this key for zone ${api.zone} (unknown key name or algorithm, or the secret in ${key.secret} differs from the server's); compare the key with the server's (PowerDNS: pdnsutil list-tsig-keys and the zone's TSIG-ALLOW-DNSUPDATE); the zone was not changed`,
  )
}

async function apply(api: Rfc2136Api, changes: RecordChange[]): Promise<void> {
  if (changes.length === 0) return
  const key = loadKey(api)
  let unsigned: Buffer
  try {
    unsigned = buildUpdateMessage(api.zone, prerequisitesFor(changes), updatesFor(changes))
  } catch (err) {
    if (err instanceof UnsupportedTypeError) throw new DnsHostError('not-supported', err.message)
    throw err
  }
  const {response, check} = await signedExchange(api, unsigned, key, 'DNS UPDATE')
  const header = parseResponseHeader(response)
  if (!check.ok) {
    // A refusal needs no proof (a forged one could only stop the run, and a failed
    // prerequisite is read back from the zone); a success we cannot authenticate may be forged.
    if (check.reason === 'unsigned' && header.rcodeName !== 'NOERROR') return interpretAnswer(api, header.rcodeName, changes, {signed: false})
    throw new DnsHostError(
      'auth',
      `the answer from ${api.where} (${header.rcodeName}) is not signed with ${api.keyLabel}: ${check.detail}; verify the zone on the server before retrying`,
    )
  }
  await interpretAnswer(api, header.rcodeName, changes, {signed: true})
}

/** What the server's answer to an UPDATE means: returns when the changes are in the zone. */
async function interpretAnswer(api: Rfc2136Api, rcodeName: string, changes: RecordChange[], answer: {signed: boolean}): Promise<void> {
  const {where, zone, keyLabel} = api
  switch (rcodeName) {
    case 'NOERROR':
      return
    case 'YXDOMAIN':
    case 'YXRRSET':
    case 'NXDOMAIN':
    case 'NXRRSET': {
      // After a failed prerequisite: a change that already landed (a retry, a resumed run) is success.
      const conflict = await findConflict({read: (name, type) => read(api, name, type)}, changes, `${where} answered ${rcodeName}`)
      if (conflict) throw conflict
      return
    }
    case 'NOTAUTH':
      // Unsigned, it is the key the server refused (RFC 8945 §5.2: a TSIG failure is answered NOTAUTH).
      if (!answer.signed) throw wrongKey(api, rcodeName)
      throw new DnsHostError('zone-not-found', `${where} is not authoritative for zone ${zone} (NOTAUTH); check dns.rfc2136.server and dns.rfc2136.zone`)
    case 'NOTZONE':
      throw new DnsHostError('zone-not-found', `a name in the change is outside zone ${zone} (${where} answered NOTZONE); check dns.rfc2136.zone`)
    case 'REFUSED':
      if (!answer.signed) {
        throw new DnsHostError(
          'rejected',
          `${where} refused the update to zone ${zone}, without signing its answer: it takes no updates for this zone from here (PowerDNS: dnsupdate=yes, allow-dnsupdate-from and the zone's TSIG-ALLOW-DNSUPDATE; a secondary refuses them); see the server's log`,
        )
      }
      // BIND answers REFUSED both when the key is not granted and when new records fail its
      // integrity checks (an in-zone MX target without an address): only its log tells which.
      throw new DnsHostError(
        'rejected',
        `${where} refused the update to zone ${zone} signed with ${keyLabel}: either its allow-update/update-policy does not grant this key, or the new records failed its checks (e.g. an in-zone MX target without an address); see the server's log`,
      )
    case 'NOTIMP':
      throw new DnsHostError(
        'not-supported',
        `${where} does not implement DNS UPDATE for zone ${zone} (NOTIMP): it may be a secondary, or updates are off there (PowerDNS: dnsupdate=yes); set dns.rfc2136.server to the zone's primary`,
      )
    default:
      throw new DnsHostError('rejected', `${where} rejected the update to zone ${zone}: ${rcodeName}`)
  }
}

export default {
  name: 'rfc2136',
  label: 'rfc2136: DNS UPDATE signed with TSIG (BIND, Knot, PowerDNS)',
  settings: rfc2136SettingsSchema,
  limits: {minTtl: 1},
  init: {
    questions: [
      {flag: 'rfc2136-server', help: 'primary server accepting UPDATE, IP[:PORT].', message: 'Primary server that accepts UPDATE (IP[:PORT]):', example: '192.0.2.53'},
      {flag: 'tsig-key-name', help: 'TSIG key name.', message: 'TSIG key name:', default: 'mxcut'},
      {flag: 'tsig-secret', help: 'TSIG secret reference, env:NAME or file:PATH.', message: 'TSIG secret reference (env:NAME or file:PATH):', default: 'env:MXCUT_TSIG_SECRET', secret: true},
    ],
    settings: (a) => ({server: a['rfc2136-server'], key: {name: a['tsig-key-name'], algorithm: 'hmac-sha256', secret: a['tsig-secret']}}),
  },
  notes: rfc2136Notes,
  create: (settings, deps) => createRfc2136Host(settings, {zone: deps.zone, client: deps.client, timeoutMs: deps.requestTimeoutMs, print: deps.print}),
} satisfies HostModule<typeof rfc2136SettingsSchema>
