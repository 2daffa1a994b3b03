import {spawnSync} from 'node:child_process'
import {dirname} from 'node:path'
import {z} from 'zod'
import {canonicalName} from '../../dns/names.js'
import {deployAndWait, pendingChanges, readCodeFile, writeAtomically} from '../dns-as-code.js'
import {DnsHostError, type DnsHost, type HostDeps, type HostModule, type RecordChange} from '../types.js'
import {editZoneText, parseZoneText, rrsetIn} from '../zone-file-edit.js'

export const zonefileSettingsSchema = z.strictObject({
  file: z.string().min(1).describe('the BIND zone file (master file) of the zone, in your repository'),
  origin: z.string().min(1).optional().describe("the zone the file holds, as named.conf names it; default: the zone found by discovery"),
  deploy: z.string().min(1).default('commit and push the file; your pipeline reloads the name servers').describe('how the file reaches the name servers, shown with each change'),
  checkzone: z.boolean().default(true).describe('check each edit with named-checkzone before writing it, when named-checkzone is installed'),
})

export type ZonefileSettings = z.output<typeof zonefileSettingsSchema>

/** named-checkzone on the edited text: the file is written only if BIND would load it. Skipped when it is not installed. */
function checkZone(origin: string, file: string, tmp: string): void {
  const run = spawnSync('named-checkzone', [origin, tmp], {cwd: dirname(tmp), encoding: 'utf8', timeout: 30_000})
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return
  if (run.status === 0) return
  const said = `${run.stdout ?? ''}\n${run.stderr ?? ''}`
    .split('\n')
    .map((l) => l.replace(tmp, file).trim())
    .find((l) => l !== '' && !/^zone .*: loaded serial/.test(l))
  throw new DnsHostError('rejected', `named-checkzone refused ${file} as mxcut would write it (${(said ?? `exit ${run.status}`).slice(0, 200)}); nothing was written`)
}

export function createZonefileHost(settings: ZonefileSettings, deps: HostDeps): DnsHost {
  const origin = canonicalName(settings.origin ?? deps.zone)
  const file = settings.file
  const load = () => parseZoneText(readCodeFile(file, 'zone file'), origin, file)

  async function apply(changes: RecordChange[]): Promise<void> {
    if (changes.length === 0) return
    const zone = load()
    const todo = pendingChanges(changes, (name, type) => rrsetIn(zone, name, type, file), file)
    const extra: string[] = []
    if (todo.length > 0) {
      const edited = editZoneText(zone, todo, new Date(), file)
      writeAtomically(file, edited.text, settings.checkzone ? (tmp) => checkZone(origin, file, tmp) : undefined)
      extra.push(`  SOA serial ${edited.serial.from} → ${edited.serial.to}`)
    }
    await deployAndWait({...deps, zone: origin}, {path: file, deploy: settings.deploy}, changes, todo.length > 0, extra)
  }

  return {
    name: 'zonefile',
    atomic: true,
    read: async (name, type) => rrsetIn(load(), name, type, file),
    apply,
    // Reading the file proves it is there and that mxcut can read every line of it.
    check: async () => void load(),
  }
}

export default {
  name: 'zonefile',
  label: 'zonefile: edit a BIND zone file in your repository, your pipeline deploys it',
  settings: zonefileSettingsSchema,
  limits: {minTtl: 1},
  init: {
    questions: [
      {flag: 'zonefile-file', help: 'path of the zone file.', message: 'Path of the zone file (BIND master file):', example: 'zones/contoso.com.zone'},
      {flag: 'zonefile-deploy', help: 'how the file is deployed (shown with each change).', message: 'How is the file deployed?', default: 'commit and push the file; your pipeline reloads the name servers'},
    ],
    settings: (a) => ({file: a['zonefile-file'], deploy: a['zonefile-deploy']}),
  },
  notes: (s) => [`Each change is written to ${s.file} (SOA serial raised${s.checkzone ? ', checked with named-checkzone when installed' : ''}); mxcut then waits until every authoritative server serves it: deploy it as you do (${s.deploy})`],
  create: (settings, deps) => createZonefileHost(settings, deps),
} satisfies HostModule<typeof zonefileSettingsSchema>
