import {isIP} from 'node:net'
import {UserError} from './errors.js'

/**
 * Tests, benchmarks and the demo must never reach beyond this machine.
 * With MXCUT_LOOPBACK_ONLY=1 every outgoing DNS, SMTP or HTTPS connection is
 * checked here first and refused at once when its address is not loopback.
 */
export function loopbackOnly(): boolean {
  const v = process.env.MXCUT_LOOPBACK_ONLY
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false'
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase()
  const family = isIP(a)
  if (family === 4) return a.startsWith('127.')
  if (family === 6) {
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
    return mapped !== null && mapped[1].startsWith('127.')
  }
  return a === 'localhost'
}

export class LoopbackOnlyError extends UserError {
  constructor(what: string, address: string) {
    super(
      `refusing ${what} connection to ${address}: MXCUT_LOOPBACK_ONLY is set, so only loopback addresses (127.0.0.0/8, ::1) may be contacted; unset it to reach real servers`,
    )
    this.name = 'LoopbackOnlyError'
  }
}

export function assertConnectionAllowed(what: 'DNS' | 'SMTP' | 'HTTPS', address: string): void {
  if (loopbackOnly() && !isLoopbackAddress(address)) throw new LoopbackOnlyError(what, address)
}
