import * as packet from 'dns-packet'
import type {Answer, DecodedPacket} from 'dns-packet'
import {canonicalName} from '../dns/names.js'
import {fromAnswer, type SoaData} from '../dns/records.js'
import {errorMessage} from '../lib/errors.js'
import {rrsetFrom, type RRset} from '../zone/rrset.js'
import {publishChange, recordEvent, type AuthoritativeState} from './authoritative-state.js'
import {axfr, OPCODE, rawResponse, RCODE} from './wire.js'
import {createZone, rrsetAnswers, serialGreater, toAnswer} from './zone.js'

const TRANSFER_TIMEOUT_MS = 3000

/** A primary's side of AXFR: the whole zone, framed by its SOA. */
export function answerAxfr(state: AuthoritativeState, request: DecodedPacket): Buffer[] {
  const q = request.questions?.[0]
  const zone = q ? state.zones.get(canonicalName(q.name)) : undefined
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

/** A secondary's side of NOTIFY: acknowledges, and transfers the zone after the simulated delay. */
export function handleNotify(state: AuthoritativeState, raw: Buffer, request: DecodedPacket): Buffer {
  const q = request.questions?.[0]
  if (!state.primary || !q || !state.zones.has(canonicalName(q.name))) {
    return rawResponse(raw, OPCODE.NOTIFY, RCODE.REFUSED)
  }
  recordEvent(state, {kind: 'notify-received', zone: canonicalName(q.name)})
  scheduleTransfer(state, canonicalName(q.name))
  return rawResponse(raw, OPCODE.NOTIFY, RCODE.NOERROR, packet.AUTHORITATIVE_ANSWER)
}

function scheduleTransfer(state: AuthoritativeState, apex: string): void {
  if (state.pendingTransfers.has(apex)) return
  const cancel = state.clock.at(state.clock.now() + state.transferDelayMs, async () => {
    state.pendingTransfers.delete(apex)
    await transfer(state, apex)
  })
  state.pendingTransfers.set(apex, cancel)
}

/** A secondary's side of AXFR: takes the primary's zone if its serial is newer; a failure is an event, not an error. */
export async function transfer(state: AuthoritativeState, apex: string): Promise<void> {
  if (!state.primary) return
  try {
    const records = await axfr(state.primary, apex, TRANSFER_TIMEOUT_MS)
    const rrs = records.map((a) => fromAnswer(a)).filter((r) => r !== null)
    const soa = rrs.find((r) => r.type === 'SOA' && r.name === canonicalName(apex))
    if (!soa) throw new Error('transfer without SOA')
    const keys = new Map<string, RRset>()
    for (const rr of rrs) {
      if (rr.type === 'SOA') continue
      const k = `${rr.name} ${rr.type}`
      if (!keys.has(k)) keys.set(k, rrsetFrom(rrs, rr.name, rr.type) as RRset)
    }
    const current = state.zones.get(canonicalName(apex))
    const incoming = soa.data as SoaData
    if (current && !serialGreater(incoming.serial, current.soa.data.serial)) return
    const zone = createZone(apex, {ttl: soa.ttl, data: incoming}, [...keys.values()])
    state.zones.set(zone.apex, zone)
    recordEvent(state, {kind: 'transfer', zone: zone.apex, serial: incoming.serial})
    await publishChange(state, zone)
  } catch (err) {
    recordEvent(state, {kind: 'transfer-failed', zone: canonicalName(apex), detail: errorMessage(err)})
  }
}
