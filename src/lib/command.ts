import {Command, Flags} from '@oclif/core'
import {errorMessage, UserError} from './errors.js'

interface OclifError extends Error {
  code?: string
  oclif?: {exit?: number}
}

/**
 * Base of every mxcut command: --json, --debug, and errors turned into one
 * line on stderr with exit code 2 (1 is kept for "the check found a problem").
 */
export abstract class MxcutCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    debug: Flags.boolean({description: 'Print stack traces of errors.', helpGroup: 'GLOBAL'}),
  }

  protected override async catch(err: OclifError): Promise<unknown> {
    // this.exit() throws an ExitError: let oclif finish it.
    if (err.code === 'EEXIT') throw err
    const exitCode = err instanceof UserError ? err.exitCode : (err.oclif?.exit ?? 2)
    process.exitCode = exitCode
    const debug = this.argv.includes('--debug') || Boolean(process.env.MXCUT_DEBUG)
    const known = err instanceof UserError || err.oclif !== undefined
    const lines = errorMessage(err).split('\n').map((l) => l.trim()).filter(Boolean)
    // oclif's own parse errors run over several lines; keep the first and point at --help.
    let message = lines[0] ?? 'unknown error'
    if (err.oclif && lines.length > 1) message += ` (see: mxcut ${this.id ?? ''} --help)`.replace('  ', ' ')
    if (!known) message = `internal error: ${message} (run again with --debug for the stack trace)`
    if (this.jsonEnabled()) {
      this.logJson({error: {message, exitCode}})
    } else {
      process.stderr.write(`mxcut: ${message}\n`)
    }
    if (debug && err.stack) process.stderr.write(err.stack + '\n')
    return undefined
  }
}
