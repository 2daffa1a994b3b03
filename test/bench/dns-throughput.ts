import {Resolver} from 'node:dns/promises'
import pLimit from 'p-limit'
import {createDnsClient} from '../../src/dns/client.js'
import type {LabResolver} from '../lab/lab.js'
import {median, timed, type BenchResult} from './common.js'

const QUERIES = 3000
const CONCURRENCY = 64
const ROUNDS = 3

/**
 * (a) mxcut's DNS client against Node's own c-ares resolver, both asking the
 * same Unbound for A records of names under a wildcard zone. Every name is
 * asked once (q<round><side><n>.bench.test), so neither c-ares's cache nor
 * Unbound's can answer from an earlier question; both sides keep 64 queries
 * in flight. The sides alternate which goes first in each round.
 */
export async function benchDnsThroughput(resolver: LabResolver, zone: string): Promise<BenchResult> {
  const client = createDnsClient({concurrency: CONCURRENCY, timeoutMs: 2000, retries: 1})
  const cares = new Resolver({timeout: 2000, tries: 2})
  cares.setServers([`${resolver.address}:${resolver.port}`])
  const names = (round: number, side: string) => Array.from({length: QUERIES}, (_, i) => `q${round}${side}${i}.${zone}`)

  const mxcutSide = async (round: number) => {
    const list = names(round, 'm')
    const {ms, value} = await timed(() => Promise.all(list.map((n) => client.query(resolver, n, 'A'))))
    const ok = value.filter((r) => r.status === 'ok').length
    return {qps: (ok / ms) * 1000, ok}
  }
  const caresSide = async (round: number) => {
    const limit = pLimit(CONCURRENCY)
    const list = names(round, 'c')
    const {ms, value} = await timed(() => Promise.all(list.map((n) => limit(() => cares.resolve4(n).then(() => true, () => false)))))
    const ok = value.filter(Boolean).length
    return {qps: (ok / ms) * 1000, ok}
  }
  // A warm-up round for both (connection setup, JIT) is not counted.
  await mxcutSide(9)
  await caresSide(9)
  const ours: number[] = []
  const theirs: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [mxcutSide, caresSide] : [caresSide, mxcutSide]
    for (const side of order) {
      const r = await side(round)
      if (r.ok < QUERIES * 0.99) throw new Error(`dns throughput: only ${r.ok} of ${QUERIES} answered`)
      ;(side === mxcutSide ? ours : theirs).push(r.qps)
    }
  }
  const m = median(ours)
  const c = median(theirs)
  return {
    name: 'DNS client throughput vs c-ares',
    ratioOf: 'mxcut q/s ÷ node:dns (c-ares) q/s',
    ratio: m / c,
    detail: `${QUERIES} unique names per side per round, ${CONCURRENCY} in flight, median of ${ROUNDS} rounds against Unbound on loopback: mxcut ${Math.round(m)} q/s, c-ares ${Math.round(c)} q/s`,
  }
}
