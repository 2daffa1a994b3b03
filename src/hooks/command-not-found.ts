import type {Hook} from '@oclif/core'
import {closest} from '../lib/suggest.js'

/**
 * A mistyped command gets mxcut's one line and exit 2, with a guess:
 * "mxcut: 'statsu' is not an mxcut command: did you mean status?".
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const ids = options.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const typed = options.id.split(':')[0]
  const guess = closest(typed, ids)
  process.stderr.write(`mxcut: '${typed}' is not an mxcut command${guess ? `: did you mean ${guess}?` : ''} (see: mxcut --help)\n`)
  process.exitCode = 2
}

export default hook
