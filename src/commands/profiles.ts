import {Flags} from '../lib/oclif.js'
import {parseDomain} from '../dns/names.js'
import {MxcutCommand} from '../lib/command.js'
import {describeProfile, renderProfiles, type ProfileDescription} from '../profiles/describe.js'
import {allProfiles, getProfile} from '../profiles/index.js'

export default class Profiles extends MxcutCommand {
  static override summary = 'List the mail-provider profiles and the records each one needs.'

  static override description =
    "Each profile is one data file (src/profiles/*.yaml, checked against a schema at start-up) with the provider's documented MX, SPF include, verification TXT, DKIM records, autodiscover, the patterns that recognise it in today's MX, notes and the URLs of the documentation the values come from. What a provider assigns per tenant (Microsoft 365 DKIM targets, a *.mx.microsoft MX, verification tokens) is described, never shown as a value: it comes from the tenant (Microsoft Graph) or the config. Records are shown for --domain (contoso.com by default)."

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --domain fabrikam.co.uk --profile microsoft365',
    '<%= config.bin %> <%= command.id %> --json',
  ]

  static override flags = {
    domain: Flags.string({char: 'd', description: 'Show the records for this domain.', default: 'contoso.com'}),
    profile: Flags.string({char: 'p', description: 'Show only this profile.'}),
  }

  async run(): Promise<{profiles: ProfileDescription[]}> {
    const {flags} = await this.parse(Profiles)
    const domain = parseDomain(flags.domain)
    const list = (flags.profile ? [getProfile(flags.profile)] : allProfiles()).map((p) => describeProfile(p, domain))
    if (!this.jsonEnabled()) this.log(renderProfiles(list))
    return {profiles: list}
  }
}
