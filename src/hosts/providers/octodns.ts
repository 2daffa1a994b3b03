import {z} from 'zod'
import {canonicalName} from '../../dns/names.js'
import {deployAndWait, pendingChanges, readCodeFile, writeAtomically} from '../dns-as-code.js'
import {editOctodns, parseOctodns, rrsetInOctodns} from '../octodns-edit.js'
import type {DnsHost, HostDeps, HostModule, RecordChange} from '../types.js'

export const octodnsSettingsSchema = z.strictObject({
  file: z.string().min(1).describe("the zone's octoDNS YAML file (YamlProvider), e.g. config/contoso.com.yaml"),
  origin: z.string().min(1).optional().describe('the zone the file holds; default: the zone found by discovery'),
  deploy: z.string().min(1).default('commit and push the file; your pipeline runs octodns-sync --doit').describe('how the file reaches the name servers, shown with each change'),
})

export type OctodnsSettings = z.output<typeof octodnsSettingsSchema>

export function createOctodnsHost(settings: OctodnsSettings, deps: HostDeps): DnsHost {
  const origin = canonicalName(settings.origin ?? deps.zone)
  const file = settings.file
  const load = () => parseOctodns(readCodeFile(file, 'octoDNS zone file'), origin, file)

  async function apply(changes: RecordChange[]): Promise<void> {
    if (changes.length === 0) return
    const zone = load()
    const todo = pendingChanges(changes, (name, type) => rrsetInOctodns(zone, name, type), file)
    if (todo.length > 0) writeAtomically(file, editOctodns(zone, todo))
    await deployAndWait({...deps, zone: origin}, {path: file, deploy: settings.deploy}, changes, todo.length > 0)
  }

  return {
    name: 'octodns',
    atomic: true,
    read: async (name, type) => rrsetInOctodns(load(), name, type),
    apply,
    check: async () => void load(),
  }
}

export default {
  name: 'octodns',
  label: 'octodns: edit an octoDNS zone file in your repository, your pipeline deploys it',
  settings: octodnsSettingsSchema,
  limits: {minTtl: 1},
  init: {
    questions: [
      {flag: 'octodns-file', help: "path of the zone's octoDNS YAML file.", message: "Path of the zone's octoDNS YAML file:", example: 'config/contoso.com.yaml'},
      {flag: 'octodns-deploy', help: 'how the file is deployed (shown with each change).', message: 'How is the file deployed?', default: 'commit and push the file; your pipeline runs octodns-sync --doit'},
    ],
    settings: (a) => ({file: a['octodns-file'], deploy: a['octodns-deploy']}),
  },
  notes: (s) => [`Each change is written to ${s.file}; mxcut then waits until every authoritative server serves it: deploy it as you do (${s.deploy})`],
  create: (settings, deps) => createOctodnsHost(settings, deps),
} satisfies HostModule<typeof octodnsSettingsSchema>
