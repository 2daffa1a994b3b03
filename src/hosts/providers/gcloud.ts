import {readFileSync} from 'node:fs'
import type {DNS, Zone} from '@google-cloud/dns'
import {z} from 'zod'
import {canonicalName} from '../../dns/names.js'
import {UserError} from '../../lib/errors.js'
import {assertConnectionAllowed, loopbackOnly} from '../../lib/loopback-guard.js'
import {registerSecret} from '../../lib/redact.js'
import {resolveSecret, secretRefSchema} from '../../lib/secrets.js'
import {formatDuration} from '../../lib/time.js'
import {sameData, type RecordData, type RRset} from '../../zone/rrset.js'
import {conflictError, findConflict, fromText, matchesTarget, toText} from '../rdata.js'
import {httpUrl} from '../settings.js'
import {DnsHostError, type DnsHost, type HostModule, type RecordChange} from '../types.js'

const CLOUD_DNS_HOST = 'dns.googleapis.com'
const SCOPES = ['https://www.googleapis.com/auth/ndev.clouddns.readwrite']
/** Where a Compute Engine, GKE or Cloud Run workload gets its tokens unless GCE_METADATA_HOST says otherwise. */
const METADATA_ADDRESS = '169.254.169.254'

export const gcloudSettingsSchema = z
  .strictObject({
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, {message: 'must be a Google Cloud project id, e.g. contoso-dns'}).describe('the project that holds the managed zone'),
    managedZone: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, {message: "must be the managed zone's name (e.g. contoso-com), not its DNS name"}).describe('the Cloud DNS managed zone name (gcloud dns managed-zones list)'),
    auth: z
      .enum(['application-default', 'service-account'])
      .default('application-default')
      .describe('application-default: GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or the attached service account on Google Cloud; service-account: the JSON key in keyFile'),
    keyFile: secretRefSchema.optional().describe('file:PATH (or env:NAME) holding a service account JSON key; required for service-account'),
    endpoint: httpUrl.optional().describe('Cloud DNS API endpoint; default https://dns.googleapis.com'),
  })
  .superRefine((s, ctx) => {
    if (s.auth === 'service-account' && s.keyFile === undefined) ctx.addIssue({code: 'custom', path: ['keyFile'], message: 'is required with auth: service-account (file:PATH of the JSON key)'})
    if (s.auth !== 'service-account' && s.keyFile !== undefined) ctx.addIssue({code: 'custom', path: ['keyFile'], message: 'is only used with auth: service-account'})
  })

export type GcloudSettings = z.output<typeof gcloudSettingsSchema>

export interface GcloudDeps {
  zone: string
  /** Polling of a change until Cloud DNS says it is done. Defaults 1 s and 5 min. */
  pollIntervalMs?: number
  timeoutMs?: number
}

const serviceAccountKey = z.object({type: z.literal('service_account'), client_email: z.string(), private_key: z.string(), private_key_id: z.string().optional()})
type ServiceAccountKey = z.infer<typeof serviceAccountKey>

interface GcloudApi {
  readonly settings: GcloudSettings
  readonly deps: GcloudDeps
  readonly zone: string
  /** host[:port] of the API, as the SDK takes it. */
  readonly apiHost: string
  readonly where: string
  dns?: DNS
}

export function createGcloudHost(settings: GcloudSettings, deps: GcloudDeps): DnsHost {
  const url = new URL(settings.endpoint ?? `https://${CLOUD_DNS_HOST}`)
  if (url.protocol !== 'https:') throw new UserError('dns.gcloud.endpoint must be an https:// URL: the Cloud DNS client speaks HTTPS only')
  const api: GcloudApi = {settings, deps, zone: canonicalName(deps.zone), apiHost: url.host, where: `Cloud DNS zone ${settings.managedZone} (project ${settings.project})`}
  return {
    name: 'gcloud',
    // One change holds every addition and deletion, applied together or not at all.
    atomic: true,
    read: (name, type) => read(api, name, type),
    apply: (changes) => apply(api, changes),
    check: () => check(api),
  }
}

function parseKey(text: string, from: string): ServiceAccountKey {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UserError(`${from} is not a JSON key file; download the service account's key as JSON`)
  }
  const key = serviceAccountKey.safeParse(json)
  if (!key.success) throw new UserError(`${from} is not a service account key (type service_account, client_email, private_key)`)
  // The parts of the key file that are secret on their own, whatever quotes them.
  registerSecret(key.data.private_key)
  registerSecret(key.data.private_key_id)
  return key.data
}

/**
 * The service account key, when there is one: from keyFile, or the file
 * GOOGLE_APPLICATION_CREDENTIALS names when it holds one. Such a key signs
 * its own access tokens (a self-signed JWT with the Cloud DNS scope), so no
 * token endpoint is asked.
 */
function keyOf(settings: GcloudSettings): ServiceAccountKey | null {
  if (settings.auth === 'service-account') return parseKey(resolveSecret(settings.keyFile ?? '', 'dns.gcloud.keyFile'), settings.keyFile ?? 'dns.gcloud.keyFile')
  const path = process.env.GOOGLE_APPLICATION_CREDENTIALS
  if (!path) return null
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UserError(`GOOGLE_APPLICATION_CREDENTIALS names ${path}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const type = (JSON.parse(text) as {type?: unknown}).type
  if (type === 'service_account') return parseKey(text, path)
  // A user's login (authorized_user) or a federated identity: google-auth-library exchanges it at Google's token endpoint.
  if (loopbackOnly()) throw new UserError(`dns.gcloud: with MXCUT_LOOPBACK_ONLY set, the ${String(type)} credentials in GOOGLE_APPLICATION_CREDENTIALS would reach Google's token endpoint; use a service account key`)
  return null
}

async function connect(api: GcloudApi): Promise<Zone> {
  assertConnectionAllowed('HTTPS', api.apiHost.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''))
  if (api.dns) return api.dns.zone(api.settings.managedZone)
  const key = keyOf(api.settings)
  if (!key) {
    // The metadata server of Google Cloud, or the one GCE_METADATA_HOST points at.
    const metadata = process.env.GCE_METADATA_HOST ?? process.env.GCE_METADATA_IP
    assertConnectionAllowed('HTTPS', metadata ? new URL(`http://${metadata}`).hostname : METADATA_ADDRESS)
  }
  // Loaded on first use: the SDKs take a while to import and most runs never need them.
  const [{DNS}, auth] = await Promise.all([import('@google-cloud/dns'), import('google-auth-library')])
  let authClient: InstanceType<typeof auth.JWT> | undefined
  if (key) {
    authClient = new auth.JWT({email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: SCOPES})
    authClient.useJWTAccessWithScope = true
  }
  // Without a key, the SDK finds the application default credentials itself.
  api.dns = new DNS({projectId: api.settings.project, apiEndpoint: api.apiHost, ...(authClient ? {authClient} : {})})
  return api.dns.zone(api.settings.managedZone)
}

/** One line from an API or credential error: status and reason, never the body or a token. */
function translate(api: GcloudApi, err: unknown, doing: string): UserError {
  if (err instanceof UserError) return err
  const {where, settings} = api
  const e = err as {code?: number | string; errors?: Array<{reason?: string}>; message?: string}
  const status = typeof e.code === 'number' ? e.code : undefined
  const reason = e.errors?.[0]?.reason
  const detail = [status ? `HTTP ${status}` : null, reason && /^[A-Za-z]+$/.test(reason) ? reason : null].filter(Boolean).join(' ')
  if (status === undefined && /default credentials|Could not load|metadata/i.test(e.message ?? '')) {
    return new DnsHostError('auth', `${where}: no application default credentials while ${doing}; run gcloud auth application-default login, set GOOGLE_APPLICATION_CREDENTIALS, or use auth: service-account`, {cause: err})
  }
  if (status === 401 || status === 403) {
    return new DnsHostError('auth', `${where} refused the ${settings.auth} credentials while ${doing} (${detail}); they need the DNS Administrator role (roles/dns.admin) on the project`, {cause: err})
  }
  if (status === 404) return new DnsHostError('zone-not-found', `${where} does not exist (${detail}); check dns.gcloud.project and managedZone`, {cause: err})
  if (status === 429) return new DnsHostError('rate-limited', `${where} is rate-limiting requests (${detail}); wait a minute and resume`, {cause: err})
  if (status === undefined || status >= 500) {
    const code = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'no response'
    return new DnsHostError('unreachable', `${where} did not answer while ${doing} (${detail || code})`, {cause: err})
  }
  return new DnsHostError('rejected', `${where} rejected ${doing} (${detail})`, {cause: err})
}

interface ApiRecordSet {
  name?: string
  type?: string
  ttl?: number
  rrdatas?: string[]
}

async function read(api: GcloudApi, name: string, type: string): Promise<RRset | null> {
  const zone = await connect(api)
  const owner = canonicalName(name)
  let sets: ApiRecordSet[]
  try {
    const [records] = await zone.getRecords({name: `${owner}.`, type})
    sets = records.map((r) => r.metadata as ApiRecordSet)
  } catch (err) {
    throw translate(api, err, `reading ${owner} ${type}`)
  }
  const set = sets.find((s) => s.name !== undefined && canonicalName(s.name) === owner && s.type === type)
  if (!set || !set.rrdatas?.length) return null
  return {name: owner, type, ttl: set.ttl ?? 0, records: set.rrdatas.map((d) => fromText(type, d))}
}

function recordOf(zone: Zone, name: string, type: string, ttl: number, records: readonly RecordData[]) {
  return zone.record(type.toLowerCase(), {name: `${canonicalName(name)}.`, ttl, data: records.map((d) => toText(type, d))})
}

/**
 * One Cloud DNS change for all the changes: each RRset's deletion lists it
 * exactly as read (data and TTL), and Cloud DNS applies the change only if
 * every deletion matches what it holds (412 conditionNotMet otherwise) and no
 * addition exists already (409): a concurrent edit is refused, not overwritten.
 */
async function apply(api: GcloudApi, changes: RecordChange[]): Promise<void> {
  const zone = await connect(api)
  const add = []
  const del = []
  for (const change of changes) {
    const live = await read(api, change.name, change.type)
    if (matchesTarget(live, change)) continue
    const expected = change.expect === undefined ? undefined : change.expect === null ? null : {type: change.type, records: change.expect.records}
    if (expected !== undefined && !sameData(live, expected)) throw conflictError(change, expected, live)
    const before = change.expect === undefined ? live : change.expect === null ? null : {ttl: change.expect.ttl, records: change.expect.records}
    if (before && before.records.length > 0) del.push(recordOf(zone, change.name, change.type, before.ttl, before.records))
    if (change.action === 'replace' && change.records.length > 0) add.push(recordOf(zone, change.name, change.type, change.ttl, change.records))
  }
  if (add.length === 0 && del.length === 0) return
  let id: string | undefined
  try {
    const [change] = await zone.createChange({add, delete: del})
    id = change.id
  } catch (err) {
    const status = (err as {code?: unknown}).code
    if (status === 412 || status === 409) {
      const conflict = await findConflict({read: (n, t) => read(api, n, t)}, changes, `${api.where} answered HTTP ${String(status)}`, true)
      if (conflict) throw conflict
      return
    }
    throw translate(api, err, `the change to ${api.zone}`)
  }
  if (!id) throw new DnsHostError('rejected', `${api.where} accepted the change without a change id to follow`)
  await waitDone(api, zone, id)
}

async function waitDone(api: GcloudApi, zone: Zone, id: string): Promise<void> {
  const interval = api.deps.pollIntervalMs ?? 1000
  const timeoutMs = api.deps.timeoutMs ?? 300_000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let status: string | undefined
    try {
      const [metadata] = await zone.change(id).getMetadata()
      status = (metadata as {status?: string}).status
    } catch (err) {
      throw translate(api, err, `checking change ${id}`)
    }
    if (status === 'done') return
    if (Date.now() + interval > deadline) {
      throw new DnsHostError('timeout', `${api.where}: change ${id} is still ${status ?? 'unknown'} after ${formatDuration(timeoutMs / 1000)}; it may still complete, resume later`)
    }
    await new Promise((r) => setTimeout(r, interval))
  }
}

/** Reading the managed zone proves the credentials and that it serves the zone being cut over. */
async function check(api: GcloudApi): Promise<void> {
  const zone = await connect(api)
  let dnsName: string | undefined
  try {
    const [metadata] = await zone.getMetadata()
    dnsName = (metadata as {dnsName?: string}).dnsName
  } catch (err) {
    throw translate(api, err, `reading managed zone ${api.settings.managedZone}`)
  }
  if (dnsName && canonicalName(dnsName) !== api.zone) {
    throw new DnsHostError('zone-not-found', `${api.where} serves ${canonicalName(dnsName)}, not ${api.zone}; check dns.gcloud.managedZone`)
  }
}

export default {
  name: 'gcloud',
  label: 'gcloud: Google Cloud DNS API',
  settings: gcloudSettingsSchema,
  // Cloud DNS accepts any TTL from 0; 1 s is the floor the other hosts share.
  limits: {minTtl: 1},
  init: {
    questions: [
      {flag: 'gcloud-project', help: 'project id of the managed zone.', message: 'Google Cloud project id:', example: 'contoso-dns'},
      {flag: 'gcloud-managed-zone', help: 'managed zone name (not its DNS name).', message: 'Cloud DNS managed zone name:', example: 'contoso-com'},
    ],
    settings: (a) => ({project: a['gcloud-project'], managedZone: a['gcloud-managed-zone']}),
  },
  create: (settings, deps) => createGcloudHost(settings, {zone: deps.zone, pollIntervalMs: deps.pollIntervalMs, timeoutMs: deps.timeoutMs}),
} satisfies HostModule<typeof gcloudSettingsSchema>
