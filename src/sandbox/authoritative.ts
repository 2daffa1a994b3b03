import * as packet from 'dns-packet'
import type {Answer, DecodedPacket, Packet} from 'dns-packet'
import {canonicalName} from '../dns/names.js'
import {fromAnswer, type SoaData} from '../dns/records.js'
import type {DnsServer} from '../dns/server.js'
import {signMessage, verifyMessage, type TsigKey} from '../dns/tsig.js'
import {errorMessage} from '../lib/errors.js'
import {rrsetFrom, type RecordData, type RRset} from '../zone/rrset.js'
import type {SimClock} from './clock.js'
import {listenDns, type Listener} from './listen.js'
import {axfr, decodeOrNull, OPCODE, parseUpdate, rawResponse, RCODE, readHeader, udpRaw, type RcodeName} from './wire.js'
import {
  applyUpdates,
  checkPrerequisites,
  createZone,
  inZone,
  lookup,
  negativeTtl,
  rrsetAnswers,
  serialGreater,
  toAnswer,
  type Zone,
} from './zone.js'

/** Something that happened on a sandbox server, in simulated time, for the rehearsal report. */
export interface ServerEvent {
  at: number
  server: string
  kind: 'update' | 'update-refused' | 'notify-sent' | 'notify-received' | 'transfer' | 'transfer-failed'
  zone: string
  serial?: number
  detail?: string
}

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

const TRANSFER_TIMEOUT_MS = 3000

export async function startAuthoritative(options: AuthoritativeOptions): Promise<AuthoritativeServer> {
  const zones = new Map<string, Zone>(options.zones.map((z) => [z.apex, z]))
  const listeners: Array<(zone: Zone) => void> = []
  const events = options.events ?? []
  const pendingTransfers = new Map<string, () => void>()
  const clock = options.clock
  let primaryServer = options.primary
  let listener: Listener | undefined

  const record = (e: Omit<ServerEvent, 'at' | 'server'>) => events.push({at: clock.now(), server: options.name, ...e})

  const zoneFor = (name: string): Zone | undefined => {
    const n = canonicalName(name)
    // The closest enclosing zone wins; the root zone '.' counts as the shortest.
    const depth = (z: Zone) => (z.apex === '.' ? 0 : z.apex.length)
    let best: Zone | undefined
    for (const z of zones.values()) {
      if (inZone(n, z.apex) && (!best || depth(z) > depth(best))) best = z
    }
    return best
  }

  const changed = async (zone: Zone) => {
    for (const l of listeners) l(zone)
    await notifyAll(zone)
  }

  const notifyAll = async (zone: Zone) => {
    for (const target of options.notify ?? []) {
      const msg = packet.encode({
        type: 'query',
        id: Math.floor(Math.random() * 65536),
        // dns-packet ignores .opcode: NOTIFY goes in the flags word (RFC 1996 §3.7).
        flags: (OPCODE.NOTIFY << 11) | packet.AUTHORITATIVE_ANSWER,
        questions: [{type: 'SOA', name: zone.apex, class: 'IN'}],
        answers: [toAnswer({name: zone.apex, type: 'SOA'}, zone.soa.data, zone.soa.ttl)],
      })
      try {
        // Waiting for the acknowledgement keeps the secondary's lag measured from the change, not from a late datagram.
        await udpRaw(target, msg, 1000)
        record({kind: 'notify-sent', zone: zone.apex, serial: zone.soa.data.serial, detail: target.name})
      } catch (err) {
        record({kind: 'notify-sent', zone: zone.apex, serial: zone.soa.data.serial, detail: `${target.name}: ${errorMessage(err)}`})
      }
    }
  }

  const transfer = async (apex: string) => {
    if (!primaryServer) return
    try {
      const records = await axfr(primaryServer, apex, TRANSFER_TIMEOUT_MS)
      const rrs = records.map((a) => fromAnswer(a)).filter((r) => r !== null)
      const soa = rrs.find((r) => r.type === 'SOA' && r.name === canonicalName(apex))
      if (!soa) throw new Error('transfer without SOA')
      const keys = new Map<string, RRset>()
      for (const rr of rrs) {
        if (rr.type === 'SOA') continue
        const k = `${rr.name} ${rr.type}`
        if (!keys.has(k)) keys.set(k, rrsetFrom(rrs, rr.name, rr.type) as RRset)
      }
      const current = zones.get(canonicalName(apex))
      const incoming = soa.data as SoaData
      if (current && !serialGreater(incoming.serial, current.soa.data.serial)) return
      const zone = createZone(apex, {ttl: soa.ttl, data: incoming}, [...keys.values()])
      zones.set(zone.apex, zone)
      record({kind: 'transfer', zone: zone.apex, serial: incoming.serial})
      await changed(zone)
    } catch (err) {
      record({kind: 'transfer-failed', zone: canonicalName(apex), detail: errorMessage(err)})
    }
  }

  const scheduleTransfer = (apex: string) => {
    if (pendingTransfers.has(apex)) return
    const cancel = clock.at(clock.now() + (options.transferDelayMs ?? 0), async () => {
      pendingTransfers.delete(apex)
      await transfer(apex)
    })
    pendingTransfers.set(apex, cancel)
  }

  const answerQuery = (request: DecodedPacket, transport: 'udp' | 'tcp'): Buffer => {
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
    const zone = zoneFor(q.name)
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

  const answerAxfr = (request: DecodedPacket): Buffer[] => {
    const q = request.questions?.[0]
    const zone = q ? zones.get(canonicalName(q.name)) : undefined
    const base = {type: 'response' as const, id: request.id, flags: packet.AUTHORITATIVE_ANSWER, questions: request.questions}
    if (!zone) return [packet.encode({...base, flags: RCODE.NOTAUTH})]
    const soa = toAnswer({name: zone.apex, type: 'SOA'}, zone.soa.data, zone.soa.ttl)
    const body = [...zone.rrsets.values()].flatMap((s) => rrsetAnswers(s))
    // Several messages keep each one far from the 64 KiB TCP limit (RFC 5936 §2.2).
    const chunks: Answer[][] = []
    const all = [soa, ...body, soa]
    for (let i = 0; i < all.length; i += 100) chunks.push(all.slice(i, i + 100))
    return chunks.map((answers) => packet.encode({...base, answers}))
  }

  const handleUpdate = async (raw: Buffer): Promise<Buffer> => {
    let msg: ReturnType<typeof parseUpdate>
    try {
      msg = parseUpdate(raw)
    } catch {
      return rawResponse(raw, OPCODE.UPDATE, RCODE.FORMERR)
    }
    const tsig = msg.additionals.at(-1)?.type === 'TSIG' || msg.additionals.at(-1)?.typeCode === 250
    let requestMac: Buffer | undefined
    let signer: TsigKey | undefined
    if (tsig) {
      const keyName = canonicalName(msg.additionals.at(-1)?.name ?? '')
      signer = (options.updateKeys ?? []).find((k) => canonicalName(k.name) === keyName)
      if (!signer) {
        record({kind: 'update-refused', zone: msg.zone?.name ?? '?', detail: `unknown TSIG key ${keyName}`})
        return rawResponse(raw, OPCODE.UPDATE, RCODE.NOTAUTH)
      }
      const check = verifyMessage(raw, signer, {now: options.tsigNow?.()})
      if (!check.ok) {
        record({kind: 'update-refused', zone: msg.zone?.name ?? '?', detail: `TSIG ${check.reason}: ${check.detail}`})
        return rawResponse(raw, OPCODE.UPDATE, RCODE.NOTAUTH)
      }
      requestMac = check.record.mac
    }
    const reply = (rcode: RcodeName, detail?: string): Buffer => {
      if (rcode !== 'NOERROR') record({kind: 'update-refused', zone: msg.zone?.name ?? '?', detail: `${rcode}${detail ? `: ${detail}` : ''}`})
      const plain = rawResponse(raw, OPCODE.UPDATE, RCODE[rcode])
      return signer && requestMac ? signMessage(plain, signer, {requestMac, now: options.tsigNow?.()}).message : plain
    }
    if (primaryServer) return reply('REFUSED', 'a secondary does not take updates')
    // Only signed updates from known keys change data, as BIND's allow-update { key …; } does.
    if (!signer) return reply('REFUSED', 'unsigned update')
    if (msg.zoneCount !== 1 || !msg.zone || msg.zone.type !== 'SOA') return reply('FORMERR', 'zone section must hold one SOA question')
    const zone = zones.get(canonicalName(msg.zone.name))
    if (!zone) return reply('NOTAUTH', `not authoritative for ${msg.zone.name}`)
    const pre = checkPrerequisites(zone, msg.prerequisites)
    if (pre !== 'NOERROR') return reply(pre, 'prerequisite failed')
    const result = applyUpdates(zone, msg.updates)
    if (result.rcode !== 'NOERROR') return reply(result.rcode)
    if (result.changed) {
      zones.set(zone.apex, result.zone)
      record({kind: 'update', zone: zone.apex, serial: result.zone.soa.data.serial, detail: describeUpdates(msg.updates)})
      await changed(result.zone)
    }
    return reply('NOERROR')
  }

  const handleNotify = (raw: Buffer, request: DecodedPacket): Buffer => {
    const q = request.questions?.[0]
    if (!primaryServer || !q || !zones.has(canonicalName(q.name))) {
      return rawResponse(raw, OPCODE.NOTIFY, RCODE.REFUSED)
    }
    record({kind: 'notify-received', zone: canonicalName(q.name)})
    scheduleTransfer(canonicalName(q.name))
    return rawResponse(raw, OPCODE.NOTIFY, RCODE.NOERROR, packet.AUTHORITATIVE_ANSWER)
  }

  listener = await listenDns(
    options.name,
    async (raw, transport) => {
      let header: ReturnType<typeof readHeader>
      try {
        header = readHeader(raw)
      } catch {
        return null
      }
      if (header.qr) return null
      if (header.opcode === OPCODE.UPDATE) return handleUpdate(raw)
      const request = decodeOrNull(raw)
      if (!request) return rawResponse(raw, header.opcode, RCODE.FORMERR)
      if (header.opcode === OPCODE.NOTIFY) return handleNotify(raw, request)
      if (header.opcode !== OPCODE.QUERY) return rawResponse(raw, header.opcode, RCODE.NOTIMP)
      if (request.questions?.[0]?.type === 'AXFR') {
        if (transport !== 'tcp') return rawResponse(raw, OPCODE.QUERY, RCODE.FORMERR)
        return answerAxfr(request)
      }
      return answerQuery(request, transport)
    },
    {address: options.address},
  )

  return {
    server: listener.server,
    name: options.name,
    zone: (apex) => zones.get(canonicalName(apex)),
    async load(zone) {
      zones.set(zone.apex, zone)
      await changed(zone)
    },
    onChange(l) {
      listeners.push(l)
    },
    follow(primary) {
      primaryServer = primary
    },
    refresh: (apex) => transfer(apex),
    async close() {
      for (const cancel of pendingTransfers.values()) cancel()
      await listener?.close()
    },
  }
}

function describeUpdates(updates: ReadonlyArray<{name: string; type: string; class: string; data: RecordData | null}>): string {
  const parts = new Set<string>()
  for (const u of updates) parts.add(`${u.class === 'IN' ? 'add' : 'delete'} ${canonicalName(u.name)} ${u.type}`)
  return [...parts].join(', ')
}
