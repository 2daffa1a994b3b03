import {fileURLToPath} from 'node:url'
import type {SoaData} from '../dns/records.js'
import {assumedSoa, loadZoneFile} from '../zone/load-zone.js'
import type {RRset} from '../zone/rrset.js'
import type {ZoneSnapshot} from '../zone/zone-file.js'

/** The bundled example the demo rehearses (plans/examples/, shipped with the package). */
export const DEMO_CONFIG = fileURLToPath(new URL('../../plans/examples/tailspin-toys.yaml', import.meta.url))
/** What the example company's DNS serves before the cutover: the zone file beside the config. */
export const DEMO_ZONE = fileURLToPath(new URL('../../plans/examples/tailspin-toys.zone', import.meta.url))

export interface StartingState {
  zone: string
  soa: SoaData & {ttl: number}
  rrsets: RRset[]
}

/** A zone file's content as the sandbox's starting state (a file without SOA gets the cautious one a plan assumes). */
export function startingStateFromZone(snapshot: ZoneSnapshot): StartingState {
  return {zone: snapshot.origin, soa: snapshot.soa ?? assumedSoa(snapshot.origin), rrsets: snapshot.rrsets}
}

/**
 * The example company's DNS as plans/examples/tailspin-toys.zone holds it
 * (the source provider's MX at a one-hour TTL, its SPF include, DMARC, DKIM,
 * domain verification, a web site): the demo and `rehearse --zone` of the
 * example start from the same file. A fictional domain has no live DNS.
 */
export async function demoStartingState(domain: string): Promise<StartingState> {
  return startingStateFromZone(await loadZoneFile(DEMO_ZONE, domain))
}
