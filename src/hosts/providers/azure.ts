import type {DnsManagementClient, RecordSet, RecordType} from '@azure/arm-dns'
import type {TokenCredential} from '@azure/identity'
import {z} from 'zod'
import {canonicalName, relativeName} from '../../dns/names.js'
import {txtData, txtStrings, type MxData, type TxtData} from '../../dns/records.js'
import {UserError} from '../../lib/errors.js'
import {assertConnectionAllowed} from '../../lib/loopback-guard.js'
import {resolveSecret, secretRefSchema} from '../../lib/secrets.js'
import {sameData, type RecordData, type RRset} from '../../zone/rrset.js'
import {conflictError, matchesTarget} from '../rdata.js'
import {httpUrl} from '../settings.js'
import {DnsHostError, type DnsHost, type HostModule, type RecordChange} from '../types.js'

export const AZURE_ENDPOINT = 'https://management.azure.com'
const AZURE_AUTHORITY = 'https://login.microsoftonline.com'
/** The Azure Instance Metadata Service, where a VM's managed identity gets its tokens. */
const IMDS_ADDRESS = '169.254.169.254'

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {message: 'must be a GUID, e.g. 00000000-0000-0000-0000-000000000000'})

export const azureSettingsSchema = z
  .strictObject({
    subscriptionId: uuid.describe('the subscription that holds the DNS zone'),
    resourceGroup: z.string().min(1).describe('the resource group of the DNS zone'),
    zone: z.string().min(1).optional().describe('the Azure DNS zone; default: the zone found by discovery'),
    auth: z
      .enum(['azure-cli', 'service-principal', 'managed-identity'])
      .default('azure-cli')
      .describe('azure-cli: the account of az login; service-principal: tenantId, clientId, clientSecret; managed-identity: the identity of the VM or App Service mxcut runs on (clientId for a user-assigned one)'),
    tenantId: z.string().min(1).optional().describe('Microsoft Entra tenant (GUID or domain); required for service-principal'),
    clientId: uuid.optional().describe('application (client) id of the service principal, or of a user-assigned managed identity'),
    clientSecret: secretRefSchema.optional().describe('env:NAME or file:PATH holding the service principal client secret'),
    endpoint: httpUrl.optional().describe('Azure Resource Manager endpoint; default https://management.azure.com (other clouds: https://management.chinacloudapi.cn, https://management.usgovcloudapi.net)'),
    authorityHost: httpUrl.optional().describe('Microsoft Entra authority; default https://login.microsoftonline.com'),
  })
  .superRefine((s, ctx) => {
    if (s.auth === 'service-principal') {
      for (const field of ['tenantId', 'clientId', 'clientSecret'] as const) {
        if (s[field] === undefined) ctx.addIssue({code: 'custom', path: [field], message: 'is required with auth: service-principal'})
      }
    } else if (s.clientSecret !== undefined) {
      ctx.addIssue({code: 'custom', path: ['clientSecret'], message: `is only used with auth: service-principal (auth is ${s.auth})`})
    }
  })

export type AzureSettings = z.output<typeof azureSettingsSchema>

export interface AzureDeps {
  zone: string
}

type Sdk = {dns: typeof import('@azure/arm-dns'); identity: typeof import('@azure/identity')}

/** One Azure DNS zone reached through Azure Resource Manager; the SDKs are loaded on first use. */
interface AzureApi {
  readonly settings: AzureSettings
  readonly zone: string
  readonly endpoint: string
  readonly where: string
  client?: DnsManagementClient
  sdk?: Sdk
}

/** A record set as read, with the ETag that guards a write of it. */
interface Held {
  rrset: RRset | null
  etag: string | undefined
}

export function createAzureHost(settings: AzureSettings, deps: AzureDeps): DnsHost {
  const endpoint = (settings.endpoint ?? AZURE_ENDPOINT).replace(/\/+$/, '')
  const zone = canonicalName(settings.zone ?? deps.zone)
  const api: AzureApi = {settings, zone, endpoint, where: `Azure DNS zone ${zone} (resource group ${settings.resourceGroup})`}
  return {
    name: 'azure',
    // Azure DNS writes one record set per request: several changes are several requests.
    atomic: false,
    read: async (name, type) => (await hold(api, name, type)).rrset,
    apply: (changes) => apply(api, changes),
    check: () => check(api),
  }
}

/** The loopback guard sees the hosts mxcut connects to, and those the credential will. */
function assertAllowed(api: AzureApi): void {
  const {settings} = api
  assertConnectionAllowed('HTTPS', new URL(api.endpoint).hostname)
  if (settings.auth === 'service-principal') assertConnectionAllowed('HTTPS', new URL(settings.authorityHost ?? AZURE_AUTHORITY).hostname)
  if (settings.auth === 'managed-identity') {
    const local = process.env.IDENTITY_ENDPOINT ?? process.env.MSI_ENDPOINT
    assertConnectionAllowed('HTTPS', local ? new URL(local).hostname : IMDS_ADDRESS)
  }
}

function credentialOf(api: AzureApi, identity: Sdk['identity']): TokenCredential {
  const {settings} = api
  const authority = settings.authorityHost ? {authorityHost: settings.authorityHost.replace(/\/+$/, ''), disableInstanceDiscovery: true} : {}
  switch (settings.auth) {
    case 'service-principal':
      return new identity.ClientSecretCredential(settings.tenantId ?? '', settings.clientId ?? '', resolveSecret(settings.clientSecret ?? '', 'dns.azure.clientSecret'), authority)
    case 'managed-identity':
      return new identity.ManagedIdentityCredential(settings.clientId ? {clientId: settings.clientId} : {})
    case 'azure-cli':
      return new identity.AzureCliCredential(settings.tenantId ? {tenantId: settings.tenantId} : {})
  }
}

async function connect(api: AzureApi): Promise<{client: DnsManagementClient; sdk: Sdk}> {
  assertAllowed(api)
  if (api.client && api.sdk) return {client: api.client, sdk: api.sdk}
  // Loaded on first use: the SDKs take a while to import and most runs never need them.
  const [dns, identity] = await Promise.all([import('@azure/arm-dns'), import('@azure/identity')])
  const sdk: Sdk = {dns, identity}
  const client = new dns.DnsManagementClient(credentialOf(api, identity), api.settings.subscriptionId, {
    endpoint: api.endpoint,
    credentialScopes: [`${api.endpoint}/.default`],
    retryOptions: {maxRetries: 2},
  })
  api.sdk = sdk
  api.client = client
  return {client, sdk}
}

/** One line from an SDK or credential error: its status and code, never a body or a token. */
function translate(api: AzureApi, err: unknown, doing: string): DnsHostError | UserError {
  if (err instanceof UserError) return err
  const {where, settings} = api
  const e = err as {name?: string; statusCode?: number; code?: string; errorResponse?: {error?: string}; message?: string}
  if (e.name === 'CredentialUnavailableError') {
    const hint =
      settings.auth === 'azure-cli'
        ? 'run az login (or choose another dns.azure.auth)'
        : settings.auth === 'managed-identity'
          ? 'mxcut is not running where a managed identity is assigned (an Azure VM, App Service or Arc machine)'
          : 'check dns.azure.tenantId and clientId'
    return new DnsHostError('auth', `${where}: no ${settings.auth} credential is available while ${doing}; ${hint}`, {cause: err})
  }
  if (e.name === 'AuthenticationError' || e.name === 'AuthenticationRequiredError' || e.name === 'AggregateAuthenticationError') {
    // The OAuth error code only (invalid_client): the rest of the message quotes the identity platform's answer.
    const code = e.errorResponse?.error ?? /^([a-z_]+):/.exec(e.message ?? '')?.[1] ?? 'refused'
    return new DnsHostError('auth', `${where}: Microsoft Entra refused the ${settings.auth} credential while ${doing} (${code}); check ${settings.auth === 'service-principal' ? `dns.azure.tenantId, clientId and the secret in ${settings.clientSecret}` : 'the signed-in account'}`, {cause: err})
  }
  const status = e.statusCode
  const code = e.code && /^[A-Za-z]+$/.test(e.code) ? e.code : undefined
  const detail = [status ? `HTTP ${status}` : null, code].filter(Boolean).join(' ')
  if (status === 401 || status === 403) {
    return new DnsHostError('auth', `${where} refused the ${settings.auth} credential while ${doing} (${detail}); it needs the DNS Zone Contributor role on the zone`, {cause: err})
  }
  if (status === 404) return new DnsHostError('zone-not-found', `${where} does not exist in subscription ${settings.subscriptionId} (${detail}); check dns.azure.subscriptionId, resourceGroup and zone`, {cause: err})
  if (status === 412) return new DnsHostError('conflict', `${where}: the record set changed while ${doing} (${detail}: its ETag no longer matches); re-run the plan against live DNS`, {cause: err})
  if (status === 429) return new DnsHostError('rate-limited', `${where} is throttling requests (${detail}); wait a minute and resume`, {cause: err})
  if (status === undefined || status >= 500) return new DnsHostError('unreachable', `${where} did not answer while ${doing} (${detail || e.code || 'no response'})`, {cause: err})
  return new DnsHostError('rejected', `${where} rejected ${doing} (${detail})`, {cause: err})
}

function recordType(type: string): RecordType {
  if (!['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'TXT'].includes(type)) throw new DnsHostError('not-supported', `record type ${type} is not supported with Azure DNS by mxcut yet`)
  return type as RecordType
}

/** The record data of an Azure record set, as mxcut compares it (TXT strings as Azure holds them). */
function dataOf(type: string, set: RecordSet): RecordData[] {
  switch (type) {
    case 'MX':
      return (set.mxRecords ?? []).map((r): MxData => ({priority: r.preference ?? 0, exchange: r.exchange === '.' ? '.' : canonicalName(r.exchange ?? '')}))
    case 'TXT':
      return (set.txtRecords ?? []).map((r) => txtData(r.value ?? []))
    case 'CNAME':
      return set.cnameRecord?.cname ? [canonicalName(set.cnameRecord.cname)] : []
    case 'A':
      return (set.aRecords ?? []).map((r) => (r.ipv4Address ?? '').toLowerCase())
    case 'AAAA':
      return (set.aaaaRecords ?? []).map((r) => (r.ipv6Address ?? '').toLowerCase())
    case 'NS':
      return (set.nsRecords ?? []).map((r) => canonicalName(r.nsdname ?? ''))
    default:
      return (set.ptrRecords ?? []).map((r) => canonicalName(r.ptrdname ?? ''))
  }
}

/** The record set body that holds exactly these records at this TTL. */
function setOf(type: string, ttl: number, records: readonly RecordData[]): RecordSet {
  switch (type) {
    case 'MX':
      return {ttl, mxRecords: records.map((d) => ({preference: (d as MxData).priority, exchange: (d as MxData).exchange}))}
    case 'TXT':
      return {ttl, txtRecords: records.map((d) => ({value: txtStrings(d as TxtData)}))}
    case 'CNAME':
      return {ttl, cnameRecord: {cname: records[0] as string}}
    case 'A':
      return {ttl, aRecords: records.map((d) => ({ipv4Address: d as string}))}
    case 'AAAA':
      return {ttl, aaaaRecords: records.map((d) => ({ipv6Address: d as string}))}
    case 'NS':
      return {ttl, nsRecords: records.map((d) => ({nsdname: d as string}))}
    default:
      return {ttl, ptrRecords: records.map((d) => ({ptrdname: d as string}))}
  }
}

async function hold(api: AzureApi, name: string, type: string): Promise<Held> {
  const rtype = recordType(type)
  const {client} = await connect(api)
  const owner = canonicalName(name)
  let set: RecordSet
  try {
    set = await client.recordSets.get(api.settings.resourceGroup, api.zone, relativeName(owner, api.zone), rtype)
  } catch (err) {
    // The record set is absent; a missing zone says so through check() or the write.
    if ((err as {statusCode?: number}).statusCode === 404 && (err as {code?: string}).code !== 'ResourceNotFound' && (err as {code?: string}).code !== 'ParentResourceNotFound') return {rrset: null, etag: undefined}
    throw translate(api, err, `reading ${owner} ${type}`)
  }
  if (set.targetResource?.id) throw new DnsHostError('not-supported', `${owner} ${type} is an Azure alias record set (to ${set.targetResource.id.split('/').pop()}); mxcut does not change alias records`)
  const records = dataOf(type, set)
  return {rrset: records.length === 0 ? null : {name: owner, type, ttl: set.ttl ?? 0, records}, etag: set.etag}
}

/**
 * Each record set is replaced whole with the ETag it was read with (If-Match),
 * or created only where none exists (If-None-Match: *): Azure refuses the
 * write with 412 when someone changed the set in between, and nothing is
 * overwritten. The sets are read first, so a change the plan did not expect
 * is refused before any write.
 */
async function apply(api: AzureApi, changes: RecordChange[]): Promise<void> {
  const pending: Array<{change: RecordChange; held: Held}> = []
  for (const change of changes) {
    const held = await hold(api, change.name, change.type)
    if (matchesTarget(held.rrset, change)) continue
    const expected = change.expect === undefined ? undefined : change.expect === null ? null : {type: change.type, records: change.expect.records}
    if (expected !== undefined && !sameData(held.rrset, expected)) throw conflictError(change, expected, held.rrset)
    pending.push({change, held})
  }
  const {client} = await connect(api)
  const {resourceGroup} = api.settings
  for (const {change, held} of pending) {
    const owner = canonicalName(change.name)
    const rel = relativeName(owner, api.zone)
    const type = recordType(change.type)
    try {
      if (change.action === 'replace' && change.records.length > 0) {
        const guard = held.etag ? {ifMatch: held.etag} : {ifNoneMatch: '*'}
        await client.recordSets.createOrUpdate(resourceGroup, api.zone, rel, type, setOf(type, change.ttl, change.records), guard)
      } else if (held.rrset) {
        await client.recordSets.delete(resourceGroup, api.zone, rel, type, held.etag ? {ifMatch: held.etag} : {})
      }
    } catch (err) {
      throw translate(api, err, `changing ${owner} ${type}`)
    }
  }
}

/** Reading the zone proves the credential, its role and the zone; nothing changes. */
async function check(api: AzureApi): Promise<void> {
  const {client} = await connect(api)
  try {
    await client.zones.get(api.settings.resourceGroup, api.zone)
  } catch (err) {
    throw translate(api, err, `reading zone ${api.zone}`)
  }
}

export default {
  name: 'azure',
  label: 'azure: Azure DNS (Azure Resource Manager API)',
  settings: azureSettingsSchema,
  // Azure DNS takes any TTL from 1 s (0 is refused by the portal); 1 s is the floor the other hosts share.
  limits: {minTtl: 1},
  init: {
    questions: [
      {flag: 'azure-subscription-id', help: 'subscription id of the DNS zone.', message: 'Azure subscription id:', example: '00000000-0000-0000-0000-000000000000'},
      {flag: 'azure-resource-group', help: 'resource group of the DNS zone.', message: 'Resource group of the DNS zone:', example: 'dns-rg'},
      {flag: 'azure-auth', help: 'azure-cli, service-principal or managed-identity.', message: 'Sign in with (azure-cli, service-principal, managed-identity):', default: 'azure-cli'},
    ],
    settings: (a) => ({subscriptionId: a['azure-subscription-id'], resourceGroup: a['azure-resource-group'], auth: a['azure-auth'] as AzureSettings['auth']}),
  },
  create: (settings, deps) => createAzureHost(settings, {zone: deps.zone}),
} satisfies HostModule<typeof azureSettingsSchema>
