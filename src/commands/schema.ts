import {MxcutCommand} from '../lib/command.js'

export default class Schema extends MxcutCommand {
  static override summary = 'Print the JSON Schema of the cutover config (for editor completion).'

  static override description = `Generated from the same zod schema that validates configs, so the two cannot drift. The package ships a copy as plans/mxcut-config.schema.json; point your editor at it, or add "# yaml-language-server: $schema=mxcut-config.schema.json" to the top of a config in plans/. The output is JSON with or without --json.`

  static override examples = ['<%= config.bin %> <%= command.id %> > mxcut-config.schema.json', '<%= config.bin %> <%= command.id %> --json | jq .properties.ttl']

  async run(): Promise<Record<string, unknown>> {
    await this.parse(Schema)
    const {configJsonSchema} = await import('../plan/config.js')
    const schema = configJsonSchema()
    if (!this.jsonEnabled()) this.log(JSON.stringify(schema, null, 2))
    return schema
  }
}
