/** Raised inside a transport when no matching answer came in time; turned into status 'timeout'. */
export class DnsTimeout extends Error {
  constructor() {
    super('timeout')
    this.name = 'DnsTimeout'
  }
}
