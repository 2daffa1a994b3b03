import * as packet from 'dns-packet'
import type {Answer, DecodedPacket, Packet} from 'dns-packet'
import {canonicalName} from '../dns/names.js'
import type {DnsServer} from '../dns/server.js'
import type {TsigKey} from '../dns/tsig.js'
import {publishChange, type AuthoritativeState} from './authoritative-state.js'
import {answerAxfr, handleNotify, transfer} from './authoritative-transfer.js'
import {handleUpdate} from './authoritative-update.js'
import type {SimClock} from './clock.js'
import {listenDns} from './listen.js'
import {decodeOrNull, OPCODE, rawResponse, RCODE, readHeader, type RcodeName} from './wire.js'
import {inZone, lookup, negativeTtl, rrsetAnswers, toAnswer, type Zone} from './zone.js'

/** Something that happened on a sandbox server, in simulated time, for the rehearsal report. */
import type {ServerEvent} from './authoritative-state.js'

export type {ServerEvent}

export interface AuthoritativeOptions {
  name: string
  clock: SimClock
  zones: Zone[]
  /** Keys allowed to sign UPDATEs (RFC 8945). Without keys the server refuses every UPDATE. */
  updateKeys?: TsigKey[]
  /** Servers told of each change with NOTIFY (RFC 1996). */
  notify?: DnsServer[]
  /** A secondary's primary: where it transfers zones from. */
  primary?: DnsServer
  /** Simulated delay between a NOTIFY and the secondary serving the new serial. */
  transferDelayMs?: number
  /** Checks a TSIG's time signed against this clock (epoch seconds); default the machine's clock, which the signer uses too. */
  tsigNow?: () => number
  address?: string
  events?: ServerEvent[]
}

export interface AuthoritativeServer {
  server: DnsServer
  name: string
  zone(apex: string): Zone | undefined
  /** Replaces a zone outright (a hand edit on the primary); NOTIFY follows as after an UPDATE. */
  load(zone: Zone): Promise<void>
  /** Called after every change of a zone's data on this server. */
  onChange(listener: (zone: Zone) => void): void
  /** Makes this server a secondary of that primary (its port is known only once it listens). */
  follow(primary: DnsServer): void
  /** Transfers now instead of waiting for NOTIFY (a secondary only). */
  refresh(apex: string): Promise<void>
  close(): Promise<void>
}

export async function startAuthoritative(options: AuthoritativeOptions): Promise<AuthoritativeServer> {
  const state: AuthoritativeState = {
    name: options.name,
    clock: options.clock,
    zones: new Map<string, Zone>(options.zones.map((z) => [z.apex, z])),
    listeners: [],
    events: options.events ?? [],
    pendingTransfers: new Map<string, () => void>(),
    updateKeys: options.updateKeys ?? [],
    notify: options.notify ?? [],
    transferDelayMs: options.transferDelayMs ?? 0,
    tsigNow: options.tsigNow,
    primary: options.primary,
  }
  const listener = await listenDns(options.name, (raw, transport) => respond(state, raw, transport), {address: options.address})
  return {
    server: listener.server,
    name: options.name,
    zone: (apex) => state.zones.get(canonicalName(apex)),
    async load(zone) {
      state.zones.set(zone.apex, zone)
      await publishChange(state, zone)
    },
    onChange(l) {
      state.listeners.push(l)
    },
    follow(primary) {
      state.primary = primary
    },
    refresh: (apex) => transfer(state, apex),
    async close() {
      for (const cancel of state.pendingTransfers.values()) cancel()
      await listener.close()
    },
  }
}

/** One message to the server, by opcode: null drops it (a response, or not DNS at all). */
async function respond(state: AuthoritativeState, raw: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | Buffer[] | null> {
  let header: ReturnType<typeof readHeader>
  try {
    header = readHeader(raw)
  } catch {
    return null
  }
  if (header.qr) return null
  if (header.opcode === OPCODE.UPDATE) return handleUpdate(state, raw)
  const request = decodeOrNull(raw)
  if (!request) return rawResponse(raw, header.opcode, RCODE.FORMERR)
  if (header.opcode === OPCODE.NOTIFY) return handleNotify(state, raw, request)
  if (header.opcode !== OPCODE.QUERY) return rawResponse(raw, header.opcode, RCODE.NOTIMP)
  if (request.questions?.[0]?.type === 'AXFR') {
    if (transport !== 'tcp') return rawResponse(raw, OPCODE.QUERY, RCODE.FORMERR)
    return answerAxfr(state, request)
  }
  return answerQuery(state, request, transport)
}

function answerQuery(state: AuthoritativeState, request: DecodedPacket, transport: 'udp' | 'tcp'): Buffer {
  const q = request.questions?.[0]
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT') as {udpPayloadSize?: number} | undefined
  const base: Packet = {
    type: 'response',
    id: request.id,
    flags: (request.flag_rd ? packet.RECURSION_DESIRED : 0) | packet.AUTHORITATIVE_ANSWER,
    questions: request.questions,
    answers: [],
    authorities: [],
    additionals: opt ? [{type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: []}] : [],
  }
  const fail = (rcode: RcodeName) => packet.encode({...base, flags: ((base.flags ?? 0) & ~packet.AUTHORITATIVE_ANSWER) | RCODE[rcode]})
  if (!q || (request.questions ?? []).length !== 1) return fail('FORMERR')
  const zone = zoneFor(state, q.name)
  if (!zone) return fail('REFUSED')
  const answers: Answer[] = []
  const authorities: Answer[] = []
  let rcode = 0
  const result = lookup(zone, q.name, q.type)
  for (const set of result.chain) answers.push(...rrsetAnswers(set))
  if (result.kind !== 'answer') {
    // RFC 2308 §3: the SOA in the authority section tells caches how long to remember the absence.
    authorities.push(toAnswer({name: zone.apex, type: 'SOA'}, zone.soa.data, negativeTtl(zone)))
    if (result.kind === 'nxdomain') rcode = RCODE.NXDOMAIN
  }
  const full = packet.encode({...base, flags: (base.flags ?? 0) | rcode, answers, authorities})
  const limit = transport === 'tcp' ? 65535 : Math.max(512, opt?.udpPayloadSize ?? 512)
  if (full.length <= limit) return full
  return packet.encode({...base, flags: (base.flags ?? 0) | rcode | packet.TRUNCATED_RESPONSE})
}

function zoneFor(state: AuthoritativeState, name: string): Zone | undefined {
  const n = canonicalName(name)
  // The closest enclosing zone wins; the root zone '.' counts as the shortest.
  const depth = (z: Zone) => (z.apex === '.' ? 0 : z.apex.length)
  let best: Zone | undefined
  for (const z of state.zones.values()) {
    if (inZone(n, z.apex) && (!best || depth(z) > depth(best))) best = z
  }
  return best
}
