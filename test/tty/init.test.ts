import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {serverLabel} from '../../src/dns/server.js'
import {loadConfig} from '../../src/plan/config.js'
import {cliCommandLine, runCli} from '../helpers/cli.js'
import {startLab, type Lab} from '../lab/lab.js'

/**
 * A newcomer's first `mxcut init`, at a terminal (tmux): asked which
 * resolvers to use (none taken silently), the live MX TTL of 4 h as the
 * final TTL, not a guessed hour; and the same wizard without a terminal.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const socket = `mxcut-init-tty-${process.pid}`
const session = 'init'
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-init-tty-'))

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
const screen = () => tmux('capture-pane', '-p', '-t', session)
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k)
const type = (text: string) => tmux('send-keys', '-t', session, '-l', text)
async function shows(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const s = screen()
    if (pattern.test(s)) return s
    if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${s}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  lab = await startLab({zones: [{name: 'fourhours.test', serial: 1, records: ['@ 14400 IN MX 10 mail', 'mail IN A 127.0.0.25', '@ IN TXT "v=spf1 mx -all"']}], resolvers: [{}]})
})
afterAll(async () => {
  try {
    tmux('kill-server')
  } catch {
    /* not running */
  }
  await lab?.stop()
})

test('init asks which resolvers to use, reads the live MX TTL through them, and proposes it as the final TTL', {timeout: 120_000}, async () => {
  const out = join(dir, 'fourhours.yaml')
  const resolver = serverLabel(lab.resolvers[0])
  const command = `cd ${root} && env -u CI MXCUT_LOOPBACK_ONLY=1 NO_COLOR=1 ${cliCommandLine()} init --timeout 800 --out ${out}; echo "EXIT:$?"; sleep 60`
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', command)

  await shows(/Domain whose mail moves/)
  type('fourhours.test')
  keys('Enter')
  // Asked, with the public set proposed: nothing is read through them before the person says so.
  const asked = await shows(/Resolvers to use/)
  expect(asked).toMatch(/\(google, cloudflare, quad9, opendns\)/)
  type('not-a-resolver')
  keys('Enter')
  await shows(/not-a-resolver/)
  await shows(/must be|is not|cannot/)
  for (let i = 0; i < 'not-a-resolver'.length; i++) keys('BSpace')
  type(resolver)
  keys('Enter')

  const today = await shows(/Provider mail moves to/)
  expect(today).toMatch(/Today fourhours\.test has MX 10 mail\.fourhours\.test with TTL 14400 s \(4 h 00 min\)/)
  type('m365')
  keys('Enter')
  await shows(/Microsoft Graph token/)
  keys('Enter') // no Graph
  await shows(/Target MX/)
  type('0 fourhours-test.mail.protection.outlook.com')
  keys('Enter')
  await shows(/Domain-verification TXT/)
  keys('Enter')
  // The DKIM targets Microsoft assigns are asked for, never proposed; empty leaves DKIM out.
  await shows(/DKIM selector1\._domainkey CNAME value/)
  keys('Enter')
  await shows(/How are DNS changes made/)
  keys('Enter')
  await shows(/MX TTL during the cutover/)
  keys('Enter')
  const final = await shows(/MX TTL after the cutover/)
  expect(final).toMatch(/MX TTL after the cutover: \(14400\)/)
  keys('Enter')
  await shows(/Strategy/)
  keys('Enter')
  const done = await shows(/EXIT:\d+/)
  expect(done).toContain('EXIT:0')

  const config = await loadConfig(out)
  expect(config.resolvers).toEqual([resolver])
  // Today's TTL is the default, so the config leaves it to the plan: no number pinned that could be stale.
  expect(config.ttl.final).toBeUndefined()
  expect(readFileSync(out, 'utf8')).toContain('Today: MX 10 mail.fourhours.test, TTL 14400 s')
})

test('without a terminal: --to m365 is taken as audit takes it; unreadable DNS guesses no final TTL and says so', {timeout: 60_000}, async () => {
  const out = join(dir, 'offline.yaml')
  // A resolver that does not answer: today's DNS cannot be read.
  const r = await runCli(['init', '--domain', 'fourhours.test', '--to', 'm365', '--mx', '0 fourhours-test.mail.protection.outlook.com', '--resolver', '127.0.0.1:9', '--timeout', '300', '--out', out])
  expect(r.code, r.stderr).toBe(0)
  expect(r.stderr).toMatch(/^mxcut: Could not read today's DNS of fourhours\.test .*Check the resolvers \(--resolver\) or name the authoritative servers \(--nameserver\)\.$/m)
  const config = await loadConfig(out)
  expect(config.target.profile).toBe('microsoft365')
  expect(config.ttl.final).toBeUndefined()
  expect(config.resolvers).toEqual(['127.0.0.1:9'])
})
