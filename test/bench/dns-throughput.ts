import {spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {Resolver} from 'node:dns/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pLimit from 'p-limit'
import {createDnsClient} from '../../src/dns/client.js'
import type {LabResolver} from '../lab/lab.js'
import {median, timed, type BenchResult} from './common.js'

const QUERIES = 3000
const CONCURRENCY = 64
const ROUNDS = 3

/** dnsperf (DNS-OARC) sending the names of one round: the most that resolver serves from one client at this concurrency. */
function dnsperf(resolver: LabResolver, names: string[]): Promise<{qps: number; ok: number}> {
  const file = join(mkdtempSync(join(tmpdir(), 'mxcut-dnsperf-')), 'queries.txt')
  writeFileSync(file, names.map((n) => `${n} A`).join('\n') + '\n')
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', ['-s', resolver.address, '-p', String(resolver.port), '-d', file, '-q', String(CONCURRENCY), '-n', '1', '-t', '2'], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', (err) => reject(new Error(`dnsperf could not start (${err.message}); run test/bench/install-tools.sh`)))
    child.on('close', () => {
      const qps = /Queries per second:\s+([\d.]+)/.exec(out)
      const done = /Queries completed:\s+(\d+)/.exec(out)
      if (!qps || !done) return reject(new Error(`dnsperf printed no result: ${out.trim().split('\n').slice(-3).join(' | ')}`))
      resolve({qps: Number(qps[1]), ok: Number(done[1])})
    })
  })
}

/**
 * (a) mxcut's DNS client against Node's own c-ares resolver and against
 * dnsperf, all asking the same Unbound for A records of names under a
 * wildcard zone. Every name is asked once (q<round><side><n>.bench.test), so
 * no cache can answer from an earlier question; every side keeps 64 queries
 * in flight. The sides rotate which goes first in each round. dnsperf, a C
 * load generator, is the limit of what this Unbound serves on this machine.
 */
export async function benchDnsThroughput(resolver: LabResolver, zone: string): Promise<BenchResult[]> {
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
  const perfSide = (round: number) => dnsperf(resolver, names(round, 'p'))
  // A warm-up round for each (connection setup, JIT) is not counted.
  await mxcutSide(9)
  await caresSide(9)
  await perfSide(9)
  const sides = [mxcutSide, caresSide, perfSide]
  const got = new Map<typeof mxcutSide, number[]>(sides.map((s) => [s, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(k + round) % sides.length]
      const r = await side(round)
      if (r.ok < QUERIES * 0.99) throw new Error(`dns throughput: only ${r.ok} of ${QUERIES} answered`)
      got.get(side)?.push(r.qps)
    }
  }
  const m = median(got.get(mxcutSide) ?? [])
  const c = median(got.get(caresSide) ?? [])
  const p = median(got.get(perfSide) ?? [])
  const setup = `${QUERIES} unique names per side per round, ${CONCURRENCY} in flight, median of ${ROUNDS} rounds against Unbound on loopback`
  return [
    {name: 'DNS client throughput vs c-ares', ratioOf: 'mxcut q/s ÷ node:dns (c-ares) q/s', ratio: m / c, detail: `${setup}: mxcut ${Math.round(m)} q/s, c-ares ${Math.round(c)} q/s`},
    {name: 'DNS client throughput vs dnsperf (the resolver\'s limit)', ratioOf: 'mxcut q/s ÷ dnsperf q/s', ratio: m / p, detail: `${setup}: mxcut ${Math.round(m)} q/s, dnsperf ${Math.round(p)} q/s, c-ares ${(c / p).toFixed(2)}× of dnsperf`},
  ]
}
