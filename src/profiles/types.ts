import type {ProfileFile} from './schema.js'

/** One MX record of a profile (the exchange may be a template until resolved for a domain). */
export interface ProfileMx {
  priority: number
  exchange: string
}

export interface ProfileDkim {
  /** Absent: the provider assigns the selector per tenant. */
  selector?: string
  type: 'CNAME' | 'TXT'
  /** Absent: the provider assigns the value per tenant (a key, or a CNAME target). */
  value?: string
}

/** A provider profile as loaded from its data file and checked against the schema. */
export interface Profile extends ProfileFile {
  /** The data file it was read from. */
  file: string
  /** Recognises one of today's MX exchanges as this provider's. */
  matchesExchange(exchange: string): boolean
  /** When the exchange is one the provider assigns per domain: what it is. */
  assignedMx(exchange: string): string | null
}
