import * as packet from 'dns-packet'
import type {DnsServer} from '../dns/server.js'
import type {TsigKey} from '../dns/tsig.js'
import {errorMessage} from '../lib/errors.js'
import type {SimClock} from './clock.js'
import {OPCODE, udpRaw} from './wire.js'
import {toAnswer, type Zone} from './zone.js'


/** Something a sandbox server did, for the rehearsal's report. */
export interface ServerEvent {
  at: number
  server: string
  kind: 'update' | 'update-refused' | 'notify-sent' | 'notify-received' | 'transfer' | 'transfer-failed'
  zone: string
  serial?: number
  detail?: string
}

/** What one sandbox authoritative server holds while it runs; its message handlers share it. */
export interface AuthoritativeState {
  readonly name: string
  readonly clock: SimClock
  /** By apex. */
  readonly zones: Map<string, Zone>
  readonly listeners: Array<(zone: Zone) => void>
  readonly events: ServerEvent[]
  /** A secondary's transfers waiting for their simulated delay, by apex; each entry cancels its timer. */
  readonly pendingTransfers: Map<string, () => void>
  readonly updateKeys: readonly TsigKey[]
  readonly notify: readonly DnsServer[]
  readonly transferDelayMs: number
  readonly tsigNow: (() => number) | undefined
  /** Set on a secondary: where it transfers zones from. */
  primary: DnsServer | undefined
}

export function recordEvent(state: AuthoritativeState, e: Omit<ServerEvent, 'at' | 'server'>): void {
  state.events.push({at: state.clock.now(), server: state.name, ...e})
}

/** After every change of a zone's data: tells the listeners, then the secondaries. */
export async function publishChange(state: AuthoritativeState, zone: Zone): Promise<void> {
  for (const l of state.listeners) l(zone)
  await notifySecondaries(state, zone)
}

async function notifySecondaries(state: AuthoritativeState, zone: Zone): Promise<void> {
  for (const target of state.notify) {
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
      recordEvent(state, {kind: 'notify-sent', zone: zone.apex, serial: zone.soa.data.serial, detail: target.name})
    } catch (err) {
      recordEvent(state, {kind: 'notify-sent', zone: zone.apex, serial: zone.soa.data.serial, detail: `${target.name}: ${errorMessage(err)}`})
    }
  }
}
