import {readFile} from 'node:fs/promises'
import {basename} from 'node:path'
import {canonicalName, isInZone} from '../dns/names.js'
import type {SoaData} from '../dns/records.js'
import {UserError} from '../lib/errors.js'
import {parseOctodnsZone} from './octodns.js'
import {parseBindZone, type ZoneSnapshot} from './zone-file.js'

/**
 * Reads the zone a domain lives in from a file: octoDNS YAML (.yaml, .yml)
 * or a BIND master file (anything else: named's own files, a DNS host's
 * "export zone file", `dnscontrol get-zones --format=zone`). Relative names
 * are read against the domain unless the file says $ORIGIN.
 */
export async function loadZoneFile(path: string, domain: string): Promise<ZoneSnapshot> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`zone file ${path} does not exist`)
    if (code === 'EISDIR') throw new UserError(`zone file ${path} is a directory; give the zone file itself`)
    throw new UserError(`zone file ${path} cannot be read (${code ?? String(err)})`)
  }
  const d = canonicalName(domain)
  // octoDNS names its files after the zone (contoso.com.yaml): a file for a parent zone says so.
  const yamlZone = /\.ya?ml$/i.test(path) ? basename(path).replace(/\.ya?ml$/i, '') : null
  const snapshot = yamlZone !== null ? parseOctodnsZone(text, {file: path, origin: yamlZone.includes('.') ? yamlZone : d}) : parseBindZone(text, {file: path, origin: d})
  if (!isInZone(d, snapshot.origin)) throw new UserError(`zone file ${path} holds the zone ${snapshot.origin}, not ${d}: give the zone file of ${d}`)
  return snapshot
}

/** The SOA a plan assumes when the file has none (octoDNS keeps none): one hour of negative caching, the cautious side. */
export function assumedSoa(zone: string): SoaData & {ttl: number} {
  return {mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 1209600, minimum: 3600, ttl: 3600}
}

/** Lines a review shows about what the file left out or what was assumed. */
export function zoneFileNotes(snapshot: ZoneSnapshot): string[] {
  const notes = [`Planned offline from the zone file ${snapshot.file}, not from live DNS: the run reads every authoritative server before each change, so any difference from the file stops it as drift.`]
  if (!snapshot.soa) notes.push(`${snapshot.file} has no SOA record: negative caching is assumed to last ${assumedSoa(snapshot.origin).minimum} s.`)
  if (snapshot.skipped.length > 0) notes.push(`Records of type ${snapshot.skipped.join(', ')} in ${snapshot.file} play no part in the cutover and were not read.`)
  return notes
}
