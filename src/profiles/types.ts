/** A mail provider described as data: the records it needs and how to recognise it. */
export interface ProfileMx {
  priority: number
  exchange: string
}

export interface ProfileDkim {
  selector: string
  type: 'CNAME' | 'TXT'
  /** CNAME target, or a description of the TXT the admin center gives. */
  value: string
}

export interface Profile {
  id: string
  name: string
  /** Default MX for a domain; the tenant's own value (config target.mx) always wins. */
  mx(domain: string): ProfileMx[]
  /** Other MX sets the provider has published over time (legacy or newer endpoints). */
  alternativeMx?: (domain: string) => ProfileMx[][]
  spfInclude: string | null
  /** Records the provider asks for beside MX and SPF. */
  autodiscover?: {name: string; type: 'CNAME'; value: string}
  dkim: (domain: string) => ProfileDkim[]
  /** Prefix of the domain-verification TXT at the apex, e.g. "MS=". */
  verificationPrefix: string | null
  /** Recognises today's MX exchanges as this provider's. */
  matchesExchange(exchange: string): boolean
  notes: string[]
}
