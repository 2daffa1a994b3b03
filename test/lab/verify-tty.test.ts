import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {createDnsClient} from '../../src/dns/client.js'
import {serverLabel} from '../../src/dns/server.js'
import {startLab, type Lab} from './lab.js'
import {cliCommandLine} from '../helpers/cli.js'

/**
 * `verify --watch` at a real terminal (tmux): the live listr2 display, not
 * the plain lines, and the same exit status.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const session = `mxcut-verify-${process.pid}`
const domain = 'contoso.test'
let lab: Lab

const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'})

beforeAll(async () => {
  lab = await startLab({
    zones: [{name: domain, records: ['@ 3 IN MX 10 mail', 'mail IN A 127.0.0.25'], serial: 1}],
    resolvers: [{}, {cacheMinTtl: 20}],
  })
})
afterAll(async () => {
  try {
    tmux('kill-session', '-t', session)
  } catch {
    /* already gone */
  }
  await lab?.stop()
})

test('live display at a TTY, converging with exit 0', async () => {
  const client = createDnsClient()
  for (const r of lab.resolvers) await client.query(r, domain, 'MX')
  await lab.writeZone({name: domain, records: ['@ 3 IN MX 0 mx.target.test.', 'mail IN A 127.0.0.25'], serial: 2})
  await lab.waitForSerial(lab.secondary, domain, 2)

  const args = [
    'verify', domain, '--expect-mx', "'0 mx.target.test'", '--watch', '--published-ttl', '3', '--watch-timeout', '40',
    '--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary),
    ...lab.resolvers.flatMap((r) => ['--resolver', serverLabel(r)]),
  ]
  const command = `cd ${root} && env -u NO_COLOR -u CI MXCUT_LOOPBACK_ONLY=1 TERM=xterm-256color ${cliCommandLine()} ${args.join(' ')}; echo EXIT=$?; sleep 60`
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', command)
  const frames: string[] = []
  const deadline = Date.now() + 55_000
  let screen = ''
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300))
    screen = tmux('capture-pane', '-p', '-t', session)
    frames.push(screen)
    if (/EXIT=\d/.test(screen)) break
  }
  expect(screen, screen).toMatch(/EXIT=0/)
  // While stale: the listr2 line of the clamping resolver with its countdown and the clamp flag.
  const live = frames.find((f) => /stale/.test(f) && /clamps TTLs \(\+\d+ s\)/.test(f))
  expect(live, frames.at(-1)).toBeDefined()
  expect(live).toMatch(/old MX expires in \d+ s/)
  // listr2 marks finished tasks; the final table follows.
  expect(screen).toMatch(/✔/)
  expect(screen).toMatch(/Converged after/)
})
