import {oneLine} from './bounded.js'
import {errorMessage, UserError} from './errors.js'
import {fsError, isFsError} from './fs-errors.js'
import {Command, Flags} from './oclif.js'
import {installOutputRedaction, redact} from './redact.js'
import {closest} from './suggest.js'

interface OclifError extends Error {
  code?: string
  oclif?: {exit?: number}
  /** Set by oclif's parser errors. */
  flags?: string[]
  args?: Array<{name: string; description?: string}>
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
    const parseError = err.oclif !== undefined && !(err instanceof UserError)
    // The arguments were read, and refused: oclif must not add its "did not parse its arguments" warning (NODE_ENV=test or development).
    if (parseError) this.parsed = true
    let message = parseError ? this.parseProblem(err) : (errorMessage(err).split('\n').map((l) => l.trim()).find(Boolean) ?? 'unknown error')
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

  /** oclif's parse errors in mxcut's style: one line naming the argument or flag, a guess for a typo, and where help is. */
  private parseProblem(err: OclifError): string {
    const help = `(see: mxcut ${this.id ? `${this.id} ` : ''}--help)`
    const ctor = this.constructor as typeof Command
    if (err.constructor.name === 'RequiredArgsError' && err.args?.length) {
      const names = err.args.map((a) => a.name.toUpperCase())
      const described = err.args.map((a) => `${a.name.toUpperCase()}${a.description ? `: ${a.description.replace(/\.$/, '')}` : ''}`)
      return `mxcut ${this.id ?? ''} needs ${described.join('; ')}. Usage: mxcut ${this.id ?? ''} ${names.join(' ')}; see mxcut ${this.id ?? ''} --help`
    }
    if (err.constructor.name === 'NonExistentFlagsError' && err.flags?.length) {
      const known = Object.keys({...ctor.flags, ...ctor.baseFlags, ...(ctor.enableJsonFlag ? {json: true} : {})})
      return err.flags
        .map((f) => {
          const guess = closest(f.replace(/^-+/, '').replace(/=.*$/, ''), known)
          return `unknown flag ${f}${guess ? `: did you mean --${guess}?` : ''}`
        })
        .join('; ')
        .concat(` ${help}`)
    }
    // Other parse errors run over several lines under a heading: keep what they say.
    const lines = errorMessage(err)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^The following errors? occurred:?$/.test(l) && !/^See more help with --help$/.test(l))
    return `${lines.join('; ') || 'unknown error'} ${help}`
  }
}
