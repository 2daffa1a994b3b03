import type {DnsClient, QueryResult} from '../../src/dns/client.js'
import type {MxData, Rr} from '../../src/dns/records.js'
import type {DnsServer, ServerSpec} from '../../src/dns/server.js'

/**
 * A pure-logic stand-in for authoritative servers and caching resolvers on a
 * simulated clock, for unit tests of the classification and the watch loop
 * (the lab tests cross the wire with BIND and Unbound).
 */
export interface FakeWorld {
  client: DnsClient
  now: () => number
  sleep: (ms: number) => Promise<void>
  advance(ms: number): void
  /** Publishes a new MX set on the authoritative servers (those listed in `lagging` keep the old one). */
  publish(records: MxData[], ttl: number, lagging?: string[]): void
  /** The lagging authoritative servers get the latest zone. */
  catchUp(): void
  auth: DnsServer[]
  resolver(name: string, options?: {clampMin?: number; behaviour?: 'ok' | 'timeout' | 'refused-conn' | 'servfail' | 'no-aa' | 'silent-then-hang' | 'hang'}): DnsServer
  queries: Array<{server: string; at: number; recursion: boolean}>
  sleeps: number[]
  /** Queries of 'silent-then-hang' resolvers still pending, and those cancelled through their signal. */
  hanging: {pending: number; aborted: number}
}

export function fakeWorld(domain: string, start = 1_700_000_000_000): FakeWorld {
  let t = start
  let zone: {records: MxData[]; ttl: number; serial: number} = {records: [], ttl: 300, serial: 1}
  const laggingZones = new Map<string, typeof zone>()
  const resolvers = new Map<string, {clampMin: number; behaviour: string; cache?: {records: MxData[]; expires: number}}>()
  const queries: FakeWorld['queries'] = []
  const sleeps: number[] = []
  const hanging = {pending: 0, aborted: 0}
  const silentCount = new Map<string, number>()
  const auth: DnsServer[] = [
    {kind: 'dns', address: '192.0.2.1', port: 53, name: 'ns1'},
    {kind: 'dns', address: '192.0.2.2', port: 53, name: 'ns2'},
  ]

  const result = (server: ServerSpec, type: string, over: Partial<QueryResult>): QueryResult => ({
    server,
    name: domain,
    type,
    status: 'ok',
    aa: false,
    ra: true,
    answers: [],
    authorities: [],
    additionals: [],
    transport: 'udp',
    rttMs: 1,
    ...over,
  })
  const mxAnswers = (records: MxData[], ttl: number): Rr[] => records.map((data) => ({name: domain, type: 'MX', ttl, data}))

  const client: DnsClient = {
    async query(server, name, type, options = {}) {
      const label = server.kind === 'dns' ? server.address : server.url
      queries.push({server: label, at: t, recursion: options.recursion !== false})
      const authoritative = auth.find((a) => server.kind === 'dns' && a.address === server.address)
      if (authoritative) {
        const z = laggingZones.get(authoritative.address) ?? zone
        if (type === 'SOA') {
          const soa = {mname: 'ns1', rname: 'h', serial: z.serial, refresh: 1, retry: 1, expire: 1, minimum: 60}
          return result(server, type, {aa: true, ra: false, rcode: 'NOERROR', answers: [{name: domain, type: 'SOA', ttl: 60, data: soa}]})
        }
        return result(server, type, {aa: true, ra: false, rcode: 'NOERROR', answers: mxAnswers(z.records, z.ttl), status: z.records.length ? 'ok' : 'nodata'})
      }
      const r = resolvers.get(label)
      if (!r) throw new Error(`fake world: unknown server ${label}`)
      switch (r.behaviour) {
        case 'timeout':
          t += options.timeoutMs ?? 2000
          return result(server, type, {status: 'timeout', error: `no answer within ${options.timeoutMs ?? 2000} ms`})
        case 'silent-then-hang':
        case 'hang':
          // 'silent-then-hang': the first round (three samples) times out at once (simulated); later queries hang until cancelled, like a packet sink on real time.
          silentCount.set(label, (silentCount.get(label) ?? 0) + 1)
          if (r.behaviour === 'silent-then-hang' && (silentCount.get(label) ?? 0) <= 3) {
            return result(server, type, {status: 'timeout', error: 'no answer within 2000 ms'})
          }
          hanging.pending += 1
          return new Promise<QueryResult>((resolve) => {
            options.signal?.addEventListener('abort', () => {
              hanging.pending -= 1
              hanging.aborted += 1
              resolve(result(server, type, {status: 'error', error: 'query aborted'}))
            })
          })
        case 'refused-conn':
          return result(server, type, {status: 'error', error: 'connect ECONNREFUSED 127.0.0.1:9'})
        case 'servfail':
          return result(server, type, {status: 'servfail', rcode: 'SERVFAIL'})
        default:
      }
      if (!r.cache || r.cache.expires <= t) {
        r.cache = {records: zone.records, expires: t + Math.max(zone.ttl, r.clampMin) * 1000}
      }
      const ttl = Math.floor((r.cache.expires - t) / 1000)
      return result(server, type, {rcode: 'NOERROR', aa: r.behaviour === 'no-aa' ? true : false, answers: mxAnswers(r.cache.records, ttl)})
    },
  }
  return {
    client,
    now: () => t,
    async sleep(ms) {
      sleeps.push(ms)
      t += ms
    },
    advance(ms) {
      t += ms
    },
    publish(records, ttl, lagging = []) {
      for (const a of lagging) laggingZones.set(a, zone)
      for (const a of auth.map((x) => x.address).filter((x) => !lagging.includes(x))) laggingZones.delete(a)
      zone = {records, ttl, serial: zone.serial + 1}
    },
    catchUp() {
      laggingZones.clear()
    },
    auth,
    resolver(name, options = {}) {
      const address = `198.51.100.${resolvers.size + 1}`
      resolvers.set(address, {clampMin: options.clampMin ?? 0, behaviour: options.behaviour ?? 'ok'})
      return {kind: 'dns', address, port: 53, name}
    },
    queries,
    sleeps,
    hanging,
  }
}
