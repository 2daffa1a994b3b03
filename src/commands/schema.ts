import {MxcutCommand} from '../lib/command.js'

export default class Schema extends MxcutCommand {
  static override summary = "Print the JSON Schema of the cutover config (for editor completion)."

  static override description = `Generated from the same zod schema that validates configs, so the two cannot drift. The package ships a copy as plans/mxcut-config.schema.json; point your editor at it, or add "# yaml-language-server: $schema=mxcut-config.schema.json" to the top of a config in plans/.`

  static override examples = ['<%= config.bin %> <%= command.id %> > mxcut-config.schema.json']

  static override enableJsonFlag = false

  async run(): Promise<void> {
    await this.parse(Schema)
    const {configJsonSchema} = await import('../plan/config.js')
    this.log(JSON.stringify(configJsonSchema(), null, 2))
  }
}
