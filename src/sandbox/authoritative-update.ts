import {canonicalName} from '../dns/names.js'
import {signMessage, verifyMessage, type TsigKey} from '../dns/tsig.js'
import type {RecordData} from '../zone/rrset.js'
import {publishChange, recordEvent, type AuthoritativeState} from './authoritative-state.js'
import {OPCODE, parseUpdate, rawResponse, RCODE, type RcodeName} from './wire.js'
import {applyUpdates, checkPrerequisites} from './zone.js'

type UpdateMessage = ReturnType<typeof parseUpdate>

/** The key that signed an UPDATE and its MAC, which the signed answer must cover; null for an unsigned one. */
type Signature = {signer: TsigKey; requestMac: Buffer} | null

/** A DNS UPDATE (RFC 2136) to a sandbox server: the answer, once any change has been published. */
export async function handleUpdate(state: AuthoritativeState, raw: Buffer): Promise<Buffer> {
  let msg: UpdateMessage
  try {
    msg = parseUpdate(raw)
  } catch {
    return rawResponse(raw, OPCODE.UPDATE, RCODE.FORMERR)
  }
  const signature = checkSignature(state, raw, msg)
  if (Buffer.isBuffer(signature)) return signature
  const reply = (rcode: RcodeName, detail?: string): Buffer => {
    if (rcode !== 'NOERROR') recordEvent(state, {kind: 'update-refused', zone: msg.zone?.name ?? '?', detail: `${rcode}${detail ? `: ${detail}` : ''}`})
    const plain = rawResponse(raw, OPCODE.UPDATE, RCODE[rcode])
    return signature ? signMessage(plain, signature.signer, {requestMac: signature.requestMac, now: state.tsigNow?.()}).message : plain
  }
  if (state.primary) return reply('REFUSED', 'a secondary does not take updates')
  // Only signed updates from known keys change data, as BIND's allow-update { key …; } does.
  if (!signature) return reply('REFUSED', 'unsigned update')
  if (msg.zoneCount !== 1 || !msg.zone || msg.zone.type !== 'SOA') return reply('FORMERR', 'zone section must hold one SOA question')
  const zone = state.zones.get(canonicalName(msg.zone.name))
  if (!zone) return reply('NOTAUTH', `not authoritative for ${msg.zone.name}`)
  const pre = checkPrerequisites(zone, msg.prerequisites)
  if (pre !== 'NOERROR') return reply(pre, 'prerequisite failed')
  const result = applyUpdates(zone, msg.updates)
  if (result.rcode !== 'NOERROR') return reply(result.rcode)
  if (result.changed) {
    state.zones.set(zone.apex, result.zone)
    recordEvent(state, {kind: 'update', zone: zone.apex, serial: result.zone.soa.data.serial, detail: describeUpdates(msg.updates)})
    await publishChange(state, result.zone)
  }
  return reply('NOERROR')
}

/** Checks an UPDATE's TSIG, if it has one; a key the server does not know or a bad signature is answered NOTAUTH unsigned. */
function checkSignature(state: AuthoritativeState, raw: Buffer, msg: UpdateMessage): Signature | Buffer {
  const last = msg.additionals.at(-1)
  const tsig = last?.type === 'TSIG' || last?.typeCode === 250
  if (!tsig) return null
  const keyName = canonicalName(last?.name ?? '')
  const signer = state.updateKeys.find((k) => canonicalName(k.name) === keyName)
  if (!signer) {
    recordEvent(state, {kind: 'update-refused', zone: msg.zone?.name ?? '?', detail: `unknown TSIG key ${keyName}`})
    return rawResponse(raw, OPCODE.UPDATE, RCODE.NOTAUTH)
  }
  const check = verifyMessage(raw, signer, {now: state.tsigNow?.()})
  if (!check.ok) {
    recordEvent(state, {kind: 'update-refused', zone: msg.zone?.name ?? '?', detail: `TSIG ${check.reason}: ${check.detail}`})
    return rawResponse(raw, OPCODE.UPDATE, RCODE.NOTAUTH)
  }
  return {signer, requestMac: check.record.mac}
}

function describeUpdates(updates: ReadonlyArray<{name: string; type: string; class: string; data: RecordData | null}>): string {
  const parts = new Set<string>()
  for (const u of updates) parts.add(`${u.class === 'IN' ? 'add' : 'delete'} ${canonicalName(u.name)} ${u.type}`)
  return [...parts].join(', ')
}
