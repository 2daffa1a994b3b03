import {Flags} from '../lib/oclif.js'
import {parseDomain} from '../dns/names.js'
import {MxcutCommand} from '../lib/command.js'
import {describeProfile, renderProfiles, type ProfileDescription} from '../profiles/describe.js'
import {getProfile, PROFILES} from '../profiles/index.js'

export default class Profiles extends MxcutCommand {
  static override summary = 'List the mail-provider profiles and the records each one needs.'

  static override description =
    "Each profile is data: the provider's MX (the tenant's own value from its admin center always wins), its SPF include, the domain-verification TXT, DKIM selectors and autodiscover. Records are shown for --domain (contoso.com by default)."

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
    const list = (flags.profile ? [getProfile(flags.profile)] : PROFILES).map((p) => describeProfile(p, domain))
    if (!this.jsonEnabled()) this.log(renderProfiles(list))
    return {profiles: list}
  }
}
