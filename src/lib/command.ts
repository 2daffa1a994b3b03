import {Command, Flags} from '@oclif/core'
import {oneLine} from './bounded.js'
import {errorMessage, UserError} from './errors.js'
import {fsError, isFsError} from './fs-errors.js'
import {installOutputRedaction, redact} from './redact.js'

interface OclifError extends Error {
  code?: string
  oclif?: {exit?: number}
}

/** A file-system error no caller explained (it carries its path): still the user's to fix, in one line. */
function explainFsError(err: OclifError): OclifError {
  const e = err as NodeJS.ErrnoException
  if (err instanceof UserError || !isFsError(err) || typeof e.path !== 'string') return err
  return fsError(err, e.syscall ? `${e.syscall}` : 'use', e.path) as OclifError
}

/**
 * Base of every mxcut command: --json, --debug, and errors turned into one
 * line on stderr with exit code 2 (1 is kept for "the check found a problem").
 * Everything it prints passes the redactor, and a message is one bounded line.
 */
export abstract class MxcutCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    debug: Flags.boolean({description: 'Print stack traces of errors.', helpGroup: 'GLOBAL'}),
  }

  override async init(): Promise<void> {
    installOutputRedaction()
    await super.init()
  }

  protected override async catch(caught: OclifError): Promise<unknown> {
    // this.exit() throws an ExitError: let oclif finish it.
    if (caught.code === 'EEXIT') throw caught
    const err = explainFsError(caught)
    const exitCode = err instanceof UserError ? err.exitCode : (err.oclif?.exit ?? 2)
    process.exitCode = exitCode
    const debug = this.argv.includes('--debug') || Boolean(process.env.MXCUT_DEBUG)
    const known = err instanceof UserError || err.oclif !== undefined
    const lines = errorMessage(err).split('\n').map((l) => l.trim()).filter(Boolean)
    // oclif's own parse errors run over several lines; keep the first and point at --help.
    let message = lines[0] ?? 'unknown error'
    if (err.oclif && lines.length > 1) message += ` (see: mxcut ${this.id ?? ''} --help)`.replace('  ', ' ')
    if (!known) message = `internal error: ${message} (run again with --debug for the stack trace)`
    message = oneLine(redact(message))
    if (this.jsonEnabled()) {
      this.logJson({error: {message, exitCode}})
    } else {
      process.stderr.write(`mxcut: ${message}\n`)
    }
    if (debug && err.stack) process.stderr.write(redact(err.stack) + '\n')
    return undefined
  }
}
