import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import dgram from 'node:dgram'
import {describe, expect, test} from 'vitest'
import {decodeSecret, findTsig, signMessage, TSIG_ALGORITHMS, verifyMessage, type TsigKey} from '../../src/dns/tsig.js'
import {buildUpdateMessage} from '../../src/dns/update.js'

const key = (algorithm: TsigKey['algorithm'] = 'hmac-sha256', name = 'mxcut-test'): TsigKey => ({name, algorithm, secret: randomBytes(32)})

function unsignedUpdate(): Buffer {
  return buildUpdateMessage('contoso.test', [], [{name: 'contoso.test', type: 'MX', class: 'IN', ttl: 300, data: {priority: 10, exchange: 'mail.contoso.test'}}], 4242)
}

/** A minimal answer to a message: same ID and zone section, QR set, rcode given. */
function answerTo(request: Buffer, rcode = 0): Buffer {
  const zoneEnd = 12 + request.subarray(12).indexOf(0) + 1 + 4
  const out = Buffer.from(request.subarray(0, zoneEnd))
  out.writeUInt16BE(0x8000 | (5 << 11) | rcode, 2)
  out.writeUInt16BE(0, 6)
  out.writeUInt16BE(0, 8)
  out.writeUInt16BE(0, 10)
  return out
}

describe('TSIG (RFC 8945)', () => {
  const macLength = {'hmac-sha1': 20, 'hmac-sha224': 28, 'hmac-sha256': 32, 'hmac-sha384': 48, 'hmac-sha512': 64}
  for (const algorithm of TSIG_ALGORITHMS) {
    test(`${algorithm}: a signed request and its signed answer verify; the MAC has the full hash length`, () => {
      const k = key(algorithm)
      const now = 1_700_000_000
      const {message, mac} = signMessage(unsignedUpdate(), k, {now})
      expect(mac.length).toBe(macLength[algorithm])
      expect(message.readUInt16BE(10)).toBe(1) // ARCOUNT now counts the TSIG record
      const check = verifyMessage(message, k, {now: now + 10})
      expect(check.ok).toBe(true)
      const answer = signMessage(answerTo(message), k, {now, requestMac: mac}).message
      expect(verifyMessage(answer, k, {requestMac: mac, now}).ok).toBe(true)
      // Bound to the request: another request's MAC does not verify it.
      expect(verifyMessage(answer, k, {requestMac: randomBytes(mac.length), now})).toMatchObject({ok: false, reason: 'bad-mac'})
    })
  }

  test('a changed byte, another secret, another key name, a stale time and no TSIG are each refused', () => {
    const k = key()
    const now = 1_700_000_000
    const {message} = signMessage(unsignedUpdate(), k, {now})
    const tampered = Buffer.from(message)
    tampered[3] ^= 0x40 // the Z bit: the header is covered by the MAC too
    expect(verifyMessage(tampered, k, {now})).toMatchObject({ok: false, reason: 'bad-mac'})
    expect(verifyMessage(message, {...k, secret: randomBytes(32)}, {now})).toMatchObject({ok: false, reason: 'bad-mac'})
    expect(verifyMessage(message, {...k, name: 'other-key'}, {now})).toMatchObject({ok: false, reason: 'wrong-key'})
    expect(verifyMessage(message, {...k, algorithm: 'hmac-sha512'}, {now})).toMatchObject({ok: false, reason: 'wrong-key'})
    expect(verifyMessage(message, k, {now: now + 301})).toMatchObject({ok: false, reason: 'bad-time'})
    expect(verifyMessage(message, k, {now: now - 301})).toMatchObject({ok: false, reason: 'bad-time'})
    expect(verifyMessage(message, k, {now: now + 300}).ok).toBe(true)
    expect(verifyMessage(unsignedUpdate(), k, {now})).toMatchObject({ok: false, reason: 'unsigned'})
  })

  test('findTsig reads the fields back, and key names compare case-insensitively', () => {
    const k = key('hmac-sha512', 'MxCut.Key.')
    const {message, mac} = signMessage(unsignedUpdate(), k, {now: 1234567890, fudge: 120})
    const found = findTsig(message)
    expect(found?.record).toMatchObject({keyName: 'mxcut.key', algorithm: 'hmac-sha512', timeSigned: 1234567890, fudge: 120, originalId: 4242, error: 0})
    expect(found?.record.mac.equals(mac)).toBe(true)
    expect(verifyMessage(message, {...k, name: 'mxcut.key'}, {now: 1234567890}).ok).toBe(true)
  })

  test('decodeSecret accepts tsig-keygen output and refuses non-base64 or short secrets', () => {
    expect(decodeSecret(randomBytes(32).toString('base64')).length).toBe(32)
    expect(() => decodeSecret('not base64!')).toThrow(/base64/)
    expect(() => decodeSecret(Buffer.from('short').toString('base64'))).toThrow(/shorter/)
  })

  // Interoperability with an independent implementation: BIND's nsupdate signs a
  // request we verify, and verifies the answer we sign.
  for (const algorithm of TSIG_ALGORITHMS) {
    test(`interoperates with BIND nsupdate (${algorithm}) in both directions`, async () => {
      const k = key(algorithm, 'interop-key')
      const socket = dgram.createSocket('udp4')
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
      const port = socket.address().port
      const seen: Array<{ok: boolean; reason?: string}> = []
      socket.on('message', (msg, rinfo) => {
        const check = verifyMessage(msg, k)
        seen.push(check.ok ? {ok: true} : {ok: false, reason: check.reason})
        if (!check.ok) return
        const answer = signMessage(answerTo(msg), k, {requestMac: check.record.mac}).message
        socket.send(answer, rinfo.port, rinfo.address)
      })
      const child = spawn('nsupdate', ['-y', `${algorithm}:${k.name}:${k.secret.toString('base64')}`, '-t', '5'], {stdio: ['pipe', 'pipe', 'pipe']})
      let output = ''
      child.stdout.on('data', (c: Buffer) => (output += c.toString()))
      child.stderr.on('data', (c: Buffer) => (output += c.toString()))
      child.stdin.end(`server 127.0.0.1 ${port}\nzone contoso.test\nupdate add mail.contoso.test 300 A 127.0.0.25\nsend\n`)
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      socket.close()
      expect(seen[0]).toEqual({ok: true})
      expect(code, output).toBe(0)
      expect(output).not.toMatch(/tsig|error/i)
    })
  }
})
