/**
 * An error the user can act on: printed as one line (no stack unless --debug)
 * and mapped to exit code 2 by the command layer.
 */
export class UserError extends Error {
  readonly exitCode: number
  constructor(message: string, options: {exitCode?: number; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'UserError'
    this.exitCode = options.exitCode ?? 2
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
