/**
 * Fault injection for the crash tests: with MXCUT_FAILPOINT=NAME (e.g.
 * after-apply:swap-mx) the process stops itself (SIGSTOP) at that instant,
 * so a test can kill -9 it exactly there. Without the variable it does nothing.
 */
export function envFailpoint(): ((name: string) => void) | undefined {
  const wanted = process.env.MXCUT_FAILPOINT
  if (!wanted) return undefined
  const names = new Set(wanted.split(','))
  return (name) => {
    if (!names.has(name)) return
    process.stderr.write(`mxcut: failpoint ${name} reached, stopping (pid ${process.pid})\n`)
    process.kill(process.pid, 'SIGSTOP')
  }
}
