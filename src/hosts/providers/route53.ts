import type {Change, ResourceRecordSet, Route53Client, RRType} from '@aws-sdk/client-route-53'
import {z} from 'zod'
import {canonicalName} from '../../dns/names.js'
import {errorMessage, UserError} from '../../lib/errors.js'
import {assertConnectionAllowed, loopbackOnly} from '../../lib/loopback-guard.js'
import {resolveSecret, secretRefSchema} from '../../lib/secrets.js'
import {formatDuration} from '../../lib/time.js'
import type {RecordData, RRset} from '../../zone/rrset.js'
import {findConflict, fromText, toText} from '../rdata.js'
import {httpUrl} from '../settings.js'
import {DnsHostError, type DnsHost, type HostModule, type RecordChange} from '../types.js'

export const route53SettingsSchema = z.strictObject({
  hostedZoneId: z.string().min(1).describe('e.g. Z0123456789ABCDEFGHIJ'),
  region: z.string().min(1).optional().describe('default us-east-1 (Route 53 is global)'),
  endpoint: httpUrl.optional().describe('API endpoint; default the AWS Route 53 endpoint'),
  accessKeyId: secretRefSchema.optional(),
  secretAccessKey: secretRefSchema.optional(),
})

export type Route53Settings = z.infer<typeof route53SettingsSchema>

export const ROUTE53_ENDPOINT = 'https://route53.amazonaws.com'

export interface Route53Deps {
  zone: string
  /** GetChange polling until INSYNC. Defaults 2 s and 5 min. */
  pollIntervalMs?: number
  timeoutMs?: number
}

const AUTH_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorizedException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'ExpiredToken',
  'IncompleteSignature',
  'MissingAuthenticationToken',
])
const RATE_ERRORS = new Set(['Throttling', 'ThrottlingException', 'PriorRequestNotComplete', 'TooManyRequestsException'])

/** Route 53 escapes some octets in names it returns (\052 for *); mxcut names are plain. */
function unescapeName(name: string): string {
  return canonicalName(name.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d))))
}

function recordSet(name: string, type: string, ttl: number, records: readonly RecordData[]): ResourceRecordSet {
  return {Name: canonicalName(name) + '.', Type: type as RRType, TTL: ttl, ResourceRecords: records.map((d) => ({Value: toText(type, d)}))}
}

type Sdk = typeof import('@aws-sdk/client-route-53')

/** One hosted zone reached through the Route 53 API; the client and the SDK are loaded on first use. */
interface Route53Api {
  readonly settings: Route53Settings
  readonly deps: Route53Deps
  /** The zone mxcut changes, canonical. */
  readonly zone: string
  /** Without trailing slashes; undefined for the AWS endpoint. */
  readonly endpoint: string | undefined
  /** How messages name the hosted zone. */
  readonly where: string
  client?: Route53Client
  sdk?: Sdk
}

export function createRoute53Host(settings: Route53Settings, deps: Route53Deps): DnsHost {
  const endpoint = settings.endpoint?.replace(/\/+$/, '')
  const api: Route53Api = {
    settings,
    deps,
    zone: canonicalName(deps.zone),
    endpoint,
    where: `Route 53${endpoint ? ` at ${endpoint}` : ''} (hosted zone ${settings.hostedZoneId})`,
  }
  return {name: 'route53', atomic: true, read: (name, type) => read(api, name, type), apply: (changes) => apply(api, changes)}
}

async function connect(api: Route53Api): Promise<{r53: Route53Client; sdk: Sdk}> {
  const {settings, endpoint} = api
  assertConnectionAllowed('HTTPS', new URL(endpoint ?? ROUTE53_ENDPOINT).hostname)
  if (api.client && api.sdk) return {r53: api.client, sdk: api.sdk}
  const {accessKeyId, secretAccessKey} = settings
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new UserError('dns.route53: give both accessKeyId and secretAccessKey references, or neither to use the AWS credential chain')
  }
  if (!accessKeyId && loopbackOnly()) {
    // The default chain may ask the instance metadata service, which the loopback guard cannot see.
    throw new UserError('dns.route53: with MXCUT_LOOPBACK_ONLY set, give accessKeyId and secretAccessKey references (the AWS credential chain may reach the network)')
  }
  // Loaded on first use, so runs with other hosts do not pay for the SDK.
  // The SDK prints a multi-line notice about its own future Node support on every start;
  // it is not about this run, and would break mxcut's one-line output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const sdk = (api.sdk ??= await import('@aws-sdk/client-route-53'))
  const client = new sdk.Route53Client({
    region: settings.region ?? 'us-east-1',
    ...(endpoint ? {endpoint} : {}),
    ...(accessKeyId && secretAccessKey
      ? {credentials: {accessKeyId: resolveSecret(accessKeyId, 'dns.route53.accessKeyId'), secretAccessKey: resolveSecret(secretAccessKey, 'dns.route53.secretAccessKey')}}
      : {}),
    maxAttempts: 3,
  })
  api.client = client
  return {r53: client, sdk}
}

function translate(api: Route53Api, err: unknown, doing: string): never {
  const {where} = api
  if (err instanceof UserError) throw err
  const e = err as {name?: string; message?: string; $metadata?: {httpStatusCode?: number}}
  const name = e.name ?? 'Error'
  const detail = `${name}: ${(e.message ?? '').replace(/\s+/g, ' ').slice(0, 300)}`
  if (AUTH_ERRORS.has(name) || e.$metadata?.httpStatusCode === 403) {
    throw new DnsHostError('auth', `${where} refused the credentials while ${doing} (${name}); check the access key and its route53:ChangeResourceRecordSets permission`)
  }
  if (name === 'NoSuchHostedZone') throw new DnsHostError('zone-not-found', `${where} does not exist (${detail}); check dns.route53.hostedZoneId`)
  if (RATE_ERRORS.has(name)) throw new DnsHostError('rate-limited', `${where} is throttling requests (${name}); wait a minute and resume`)
  if (e.$metadata?.httpStatusCode === undefined) throw new DnsHostError('unreachable', `${where} did not answer while ${doing} (${errorMessage(err)})`, {cause: err})
  throw new DnsHostError('rejected', `${where} rejected ${doing}: ${detail}`, {cause: err})
}

async function read(api: Route53Api, name: string, type: string): Promise<RRset | null> {
  const {r53, sdk} = await connect(api)
  let sets: ResourceRecordSet[]
  try {
    const out = await r53.send(
      new sdk.ListResourceRecordSetsCommand({HostedZoneId: api.settings.hostedZoneId, StartRecordName: canonicalName(name) + '.', StartRecordType: type as RRType, MaxItems: 1}),
    )
    sets = out.ResourceRecordSets ?? []
  } catch (err) {
    translate(api, err, `reading ${canonicalName(name)} ${type}`)
  }
  // The listing starts at the name and type asked; the first set may be the next one in order.
  const set = sets.find((s) => s.Name !== undefined && unescapeName(s.Name) === canonicalName(name) && s.Type === type)
  if (!set) return null
  if (set.AliasTarget) throw new DnsHostError('not-supported', `${canonicalName(name)} ${type} is a Route 53 alias record; mxcut does not change alias records`)
  if (set.SetIdentifier) throw new DnsHostError('not-supported', `${canonicalName(name)} ${type} uses a Route 53 routing policy (${set.SetIdentifier}); mxcut only changes simple records`)
  return {name: canonicalName(name), type, ttl: set.TTL ?? 0, records: (set.ResourceRecords ?? []).map((r) => fromText(type, r.Value ?? ''))}
}

/**
 * With `expect`, DELETE the expected RRset and CREATE the new one: Route 53
 * refuses a DELETE whose values or TTL differ from what it holds, so the
 * batch only lands on the RRset the plan read. Without, UPSERT.
 */
async function changesFor(api: Route53Api, change: RecordChange): Promise<Change[]> {
  const out: Change[] = []
  const target = change.action === 'replace' && change.records.length > 0 ? recordSet(change.name, change.type, change.ttl, change.records) : null
  if (change.expect !== undefined) {
    if (change.expect !== null && change.expect.records.length > 0) {
      out.push({Action: 'DELETE', ResourceRecordSet: recordSet(change.name, change.type, change.expect.ttl, change.expect.records)})
    }
    if (target) out.push({Action: 'CREATE', ResourceRecordSet: target})
    return out
  }
  if (target) return [{Action: 'UPSERT', ResourceRecordSet: target}]
  const live = await read(api, change.name, change.type)
  return live ? [{Action: 'DELETE', ResourceRecordSet: recordSet(live.name, live.type, live.ttl, live.records)}] : []
}

async function waitInSync(api: Route53Api, r53: Route53Client, sdk: Sdk, id: string): Promise<void> {
  const interval = api.deps.pollIntervalMs ?? 2000
  const timeoutMs = api.deps.timeoutMs ?? 300_000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let status: string | undefined
    try {
      status = (await r53.send(new sdk.GetChangeCommand({Id: id}))).ChangeInfo?.Status
    } catch (err) {
      translate(api, err, `checking change ${id}`)
    }
    if (status === 'INSYNC') return
    if (Date.now() + interval > deadline) {
      throw new DnsHostError('timeout', `${api.where}: change ${id} is still ${status ?? 'unknown'} after ${formatDuration(timeoutMs / 1000)}; it may still complete, resume later`)
    }
    await new Promise((r) => setTimeout(r, interval))
  }
}

async function apply(api: Route53Api, changes: RecordChange[]): Promise<void> {
  if (changes.length === 0) return
  const {where, zone} = api
  const batch = (await Promise.all(changes.map((c) => changesFor(api, c)))).flat()
  if (batch.length === 0) return
  const {r53, sdk} = await connect(api)
  let changeId: string | undefined
  try {
    const out = await r53.send(
      new sdk.ChangeResourceRecordSetsCommand({HostedZoneId: api.settings.hostedZoneId, ChangeBatch: {Comment: `mxcut ${zone}`, Changes: batch}}),
    )
    changeId = out.ChangeInfo?.Id
  } catch (err) {
    if ((err as {name?: string}).name === 'InvalidChangeBatch') {
      // A DELETE that does not match or a CREATE that exists: someone changed the RRset, or this batch already landed.
      const conflict = await findConflict({read: (name, type) => read(api, name, type)}, changes, `${where}: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 200)}`, true)
      if (conflict) throw conflict
      return
    }
    translate(api, err, `the change to ${zone}`)
  }
  if (!changeId) throw new DnsHostError('rejected', `${where} accepted the change without a change id to follow`)
  await waitInSync(api, r53, sdk, changeId)
}

export default {
  name: 'route53',
  label: 'route53: Amazon Route 53 API',
  settings: route53SettingsSchema,
  // Route 53 accepts 0, which forbids caching altogether; 1 s is the floor the other hosts share.
  limits: {minTtl: 1},
  init: {
    questions: [{flag: 'route53-hosted-zone-id', help: 'hosted zone id.', message: 'Hosted zone id:', example: 'Z0123456789ABCDEFGHIJ'}],
    settings: (a) => ({hostedZoneId: a['route53-hosted-zone-id']}),
  },
  create: (settings, deps) =>
    createRoute53Host(settings, {
      zone: deps.zone,
      pollIntervalMs: deps.pollIntervalMs,
      timeoutMs: deps.timeoutMs,
    }),
} satisfies HostModule<typeof route53SettingsSchema>
