import {createDnsClient, query} from '../../src/dns/client.js'
import type {DnsServer} from '../../src/dns/server.js'
import {verifyPropagation} from '../../src/verify/verify.js'
import type {LabResolver} from '../lab/lab.js'
import {median, timed, type BenchResult} from './common.js'

const RUNS = 7

/**
 * (b) One `verify` of 8 resolvers (3 samples each) and both authoritative
 * servers, against the round trip of the slowest single resolver asked for
 * the same MX: the ratio shows how close verifying everything concurrently
 * comes to asking just the slowest one.
 */
export async function benchVerify(resolvers: LabResolver[], authoritative: DnsServer[], domain: string, expected: Array<{priority: number; exchange: string}>): Promise<BenchResult> {
  if (resolvers.length !== 8) throw new Error('verify bench wants 8 resolvers')
  const client = createDnsClient({timeoutMs: 2000})
  // Warm every cache so both sides measure answering, not recursion.
  await Promise.all(resolvers.map((r) => query(r, domain, 'MX')))
  const slowest: number[] = []
  const verify: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const rtts = await Promise.all(resolvers.map(async (r) => (await timed(() => query(r, domain, 'MX', {retries: 0}))).ms))
    slowest.push(Math.max(...rtts))
    const {ms, value} = await timed(() => verifyPropagation({client, domain, expected, authoritative, resolvers, samples: 3}))
    if (!value.converged) throw new Error(`verify bench: not converged: ${value.pending.join('; ')}`)
    verify.push(ms)
  }
  const v = median(verify)
  const s = median(slowest)
  return {
    name: 'verify of 8 resolvers vs the slowest resolver',
    ratioOf: 'verify wall time ÷ slowest single-resolver round trip',
    ratio: v / s,
    detail: `8 Unbound resolvers × 3 samples + 2 BIND servers, median of ${RUNS}: verify ${v.toFixed(1)} ms, slowest resolver round trip ${s.toFixed(1)} ms`,
  }
}
