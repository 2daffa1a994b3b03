import {createRequire} from 'node:module'
import {describe, expect, test} from 'vitest'
import {buildUpdateMessage, CLASS, encodeRdata, OPCODE_UPDATE, parseResponseHeader, txtChunks} from '../../src/dns/update.js'
import {prerequisitesFor, updatesFor} from '../../src/hosts/providers/rfc2136.js'
import type {RecordChange} from '../../src/hosts/types.js'

const wire = createRequire(import.meta.url)('dns-packet') as {name: {decode: ((b: Buffer, o: number) => string) & {bytes: number}}}

/** Walks a message: header counts, then each record's owner, type, class, TTL and RDATA length. */
function walk(buf: Buffer) {
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o))
  let p = 12
  const zone = wire.name.decode(buf, p)
  p += wire.name.decode.bytes
  const zoneType = buf.readUInt16BE(p)
  p += 4
  const rrs: Array<{name: string; type: number; klass: number; ttl: number; rdlength: number}> = []
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    const name = wire.name.decode(buf, p)
    p += wire.name.decode.bytes
    rrs.push({name, type: buf.readUInt16BE(p), klass: buf.readUInt16BE(p + 2), ttl: buf.readUInt32BE(p + 4), rdlength: buf.readUInt16BE(p + 8)})
    p += 10 + buf.readUInt16BE(p + 8)
  }
  return {flags: buf.readUInt16BE(2), counts, zone, zoneType, rrs, end: p}
}

describe('DNS UPDATE messages (RFC 2136)', () => {
  test('MX replace with a value-dependent prerequisite: opcode 5, zone section SOA, prereqs then updates', () => {
    const changes: RecordChange[] = [
      {action: 'replace', name: 'contoso.test', type: 'MX', ttl: 300, records: [{priority: 0, exchange: 'target.fabrikam.test'}], expect: {ttl: 3600, records: [{priority: 10, exchange: 'mail.contoso.test'}, {priority: 20, exchange: '.'}]}},
      {action: 'delete', name: '_old.contoso.test', type: 'TXT', expect: null},
    ]
    const msg = buildUpdateMessage('contoso.test', prerequisitesFor(changes), updatesFor(changes), 77)
    const w = walk(msg)
    expect(msg.readUInt16BE(0)).toBe(77)
    expect((w.flags >> 11) & 0xf).toBe(OPCODE_UPDATE)
    expect(w.counts).toEqual([1, 3, 3, 0])
    expect(w.zone).toBe('contoso.test')
    expect(w.zoneType).toBe(6)
    expect(w.end).toBe(msg.length)
    // Prerequisites: two "RRset exists with this data" (class IN, TTL 0), one "RRset does not exist" (class NONE, empty).
    expect(w.rrs.slice(0, 3).map((r) => [r.name, r.type, r.klass, r.ttl, r.rdlength > 0])).toEqual([
      ['contoso.test', 15, CLASS.IN, 0, true],
      ['contoso.test', 15, CLASS.IN, 0, true],
      ['_old.contoso.test', 16, CLASS.NONE, 0, false],
    ])
    // Updates: delete RRset (class ANY, TTL 0, empty) then the add; the TXT delete has no add.
    expect(w.rrs.slice(3).map((r) => [r.name, r.type, r.klass, r.ttl, r.rdlength > 0])).toEqual([
      ['contoso.test', 15, CLASS.ANY, 0, false],
      ['contoso.test', 15, CLASS.IN, 300, true],
      ['_old.contoso.test', 16, CLASS.ANY, 0, false],
    ])
  })

  test('RDATA: null MX exchange is the root; TXT over 255 octets becomes several strings; unknown types refused', () => {
    const nullMx = encodeRdata('MX', {priority: 0, exchange: '.'})
    expect([...nullMx]).toEqual([0, 3, 0, 0, 0])
    const long = 'x'.repeat(300)
    expect(txtChunks(long).map((c) => c.length)).toEqual([255, 45])
    const txt = encodeRdata('TXT', long)
    expect(txt.readUInt16BE(0)).toBe(302)
    expect(txt[2]).toBe(255)
    expect(() => encodeRdata('SRV', 'x')).toThrow(/SRV cannot be written/)
  })

  test('response header: rcode names as RFC 2136 uses them', () => {
    const b = Buffer.alloc(12)
    b.writeUInt16BE(0x8000 | (5 << 11) | 8, 2)
    expect(parseResponseHeader(b)).toMatchObject({qr: true, opcode: 5, rcode: 8, rcodeName: 'NXRRSET'})
  })
})
