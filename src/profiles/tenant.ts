import type {MxData} from '../dns/records.js'

/**
 * The records a provider's own API says a domain of the tenant needs
 * (Microsoft Graph for Microsoft 365). These win over a profile's defaults
 * and are the only source, besides the config, of values the provider
 * assigns per domain.
 */
export interface TenantRecords {
  /** Who said so, for messages: "Microsoft Graph". */
  source: string
  domain: string
  mx: MxData[]
  /** The include of the SPF record the tenant asks for. */
  spfInclude: string | null
  /** The autodiscover CNAME target. */
  autodiscover: string | null
  /** The domain-verification TXT (MS=ms…). */
  verification: string | null
  /** ISO time of the read. */
  readAt: string
}
