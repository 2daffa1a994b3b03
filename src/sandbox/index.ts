import {randomBytes} from 'node:crypto'
import type {DnsServer} from '../dns/server.js'
import type {TsigKey} from '../dns/tsig.js'
import {startAuthoritative, type AuthoritativeServer, type ServerEvent} from './authoritative.js'
import {createSimClock, type SimClock} from './clock.js'
import {startResolver, type ResolverBehaviour, type SandboxResolver} from './resolver.js'
import type {Zone} from './zone.js'

export {createSimClock, type SimClock, type Actor, type Clock} from './clock.js'
export type {SandboxResolver, ResolverBehaviour} from './resolver.js'
export type {AuthoritativeServer, ServerEvent} from './authoritative.js'

export interface ResolverSpec {
  name: string
  behaviour?: ResolverBehaviour
  /** One line for the report: what this resolver stands for. */
  description?: string
}

/**
 * The resolvers a rehearsal runs against by default: one that behaves, one
 * that clamps TTLs like a resolver with cache-min-ttl, one far away, one on a
 * lossy path, one that prefers the (lagging) secondary.
 */
export const DEFAULT_SANDBOX_RESOLVERS: ResolverSpec[] = [
  {name: 'steady', description: 'a well-behaved cache'},
  {name: 'clamping', behaviour: {minTtl: 600}, description: 'raises TTLs below 10 min (cache-min-ttl 600)'},
  {name: 'slow', behaviour: {delayMs: 50}, description: 'answers 50 ms late'},
  {name: 'lossy', behaviour: {dropEvery: 4}, description: 'drops every fourth UDP query'},
  {name: 'secondary-first', behaviour: {prefer: 1}, description: 'asks the secondary first'},
]

export interface SandboxOptions {
  clock?: SimClock
  /** The zones being cut over, loaded on the primary and transferred to the secondary. */
  zones: Zone[]
  /** Everything else the rehearsal must resolve (MX hosts of both providers…), served as the root zone '.'. */
  world?: Zone
  /** Simulated delay between a change on the primary and the secondary serving it. Default 30 s. */
  secondaryLagMs?: number
  resolvers?: ResolverSpec[]
  /** Key UPDATEs must be signed with; a fresh random one by default. */
  tsig?: TsigKey
  tsigNow?: () => number
  upstreamTimeoutMs?: number
}

export interface Sandbox {
  clock: SimClock
  primary: AuthoritativeServer
  secondary: AuthoritativeServer
  world: AuthoritativeServer | null
  resolvers: SandboxResolver[]
  resolverSpecs: ResolverSpec[]
  /** The zone's authoritative servers, as the runner and verifier address them. */
  nameservers: DnsServer[]
  tsig: TsigKey
  events: ServerEvent[]
  close(): Promise<void>
}

export function randomTsigKey(name = 'mxcut-sandbox'): TsigKey {
  return {name, algorithm: 'hmac-sha256', secret: randomBytes(32)}
}

/**
 * Starts the whole sandbox on loopback: primary, lagging secondary, the
 * world server and the caching resolvers, all on one simulated clock.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const clock = options.clock ?? createSimClock()
  const tsig = options.tsig ?? randomTsigKey()
  const events: ServerEvent[] = []
  const started: Array<{close(): Promise<void>}> = []
  try {
    const world = options.world ? await startAuthoritative({name: 'world', clock, zones: [options.world], events}) : null
    if (world) started.push(world)
    // The secondary starts empty and takes its first copy by transfer, as a real one does.
    const secondary = await startAuthoritative({
      name: 'secondary',
      clock,
      zones: [],
      events,
      transferDelayMs: options.secondaryLagMs ?? 30_000,
    })
    started.push(secondary)
    const primary = await startAuthoritative({
      name: 'primary',
      clock,
      zones: options.zones,
      events,
      updateKeys: [tsig],
      notify: [secondary.server],
      tsigNow: options.tsigNow,
    })
    started.push(primary)
    await secondaryFollows(secondary, primary, options.zones)
    const nameservers = [primary.server, secondary.server]
    const upstreams = [
      ...options.zones.map((z) => ({zone: z.apex, servers: nameservers})),
      ...(world ? [{zone: '.', servers: [world.server]}] : []),
    ]
    const specs = options.resolvers ?? DEFAULT_SANDBOX_RESOLVERS
    const resolvers: SandboxResolver[] = []
    for (const spec of specs) {
      const r = await startResolver({name: spec.name, clock, upstreams, behaviour: spec.behaviour, upstreamTimeoutMs: options.upstreamTimeoutMs})
      started.push(r)
      resolvers.push(r)
    }
    return {
      clock,
      primary,
      secondary,
      world,
      resolvers,
      resolverSpecs: specs,
      nameservers,
      tsig,
      events,
      async close() {
        await Promise.all(started.map((s) => s.close()))
      },
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)))
    throw err
  }
}

/** Points the secondary at the primary's real port (known only once it listens) and takes the first transfer. */
async function secondaryFollows(secondary: AuthoritativeServer, primary: AuthoritativeServer, zones: Zone[]): Promise<void> {
  secondary.follow(primary.server)
  for (const z of zones) await secondary.refresh(z.apex)
}
