import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {cliCommandLine, parseJson, runCli} from '../helpers/cli.js'
import {cutoverZone, makePlan, mxOn, TARGET_MX, until} from '../run/lab-plan.js'
import {startLab, type Lab} from '../lab/lab.js'

/**
 * A person at a terminal: mxcut runs inside tmux (a real TTY), the test reads
 * the screen with capture-pane and answers with send-keys, as one would.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const socket = `mxcut-test-${process.pid}`
const session = 'cut'
let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'mxcut-tty-'))

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
const screen = () => tmux('capture-pane', '-p', '-t', session)
const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k)

beforeAll(async () => {
  lab = await startLab({zones: [cutoverZone('tty.test', 6)]})
})
afterAll(async () => {
  try {
    tmux('kill-server')
  } catch {
    /* not running */
  }
  await lab?.stop()
})

test('countdown with the due clock time, then the checkpoint prompt: show the diff, continue, pause', {timeout: 150_000}, async () => {
  const zone = 'tty.test'
  const plan = await makePlan(dir, lab, zone, {lowered: 1, margin: 0})
  const command = [
    'env -u CI',
    'MXCUT_LOOPBACK_ONLY=1',
    'NO_COLOR=1',
    `MXCUT_LAB_TSIG='${lab.tsig.sha256.secret}'`,
    `${cliCommandLine()} run '${plan}'`,
    // Keep the pane after exit so the last screen can be read.
    '; echo "[exit $?]"; sleep 120',
  ].join(' ')
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-c', root, command)

  await until('the countdown', () => /left, until \w{3} \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \S+/.test(screen()), 60_000)
  const countdown = screen()
  expect(countdown).toMatch(/wait-old-ttl/)
  expect(countdown).toMatch(/\(Ctrl-C pauses\)/)

  // Wait for the whole menu: the question is drawn before its choices.
  await until('the swap checkpoint', () => /Confirm the swap: what next\?/.test(screen()) && /❯ Continue: Replace the MX RRset/.test(screen()) && /Abort\s*$/m.test(screen()), 60_000)
  const prompt = screen()
  expect(prompt).toMatch(/Continue: Replace the MX RRset/)
  expect(prompt).toMatch(/Pause/)
  expect(prompt).toMatch(/Show the diff/)
  expect(prompt).toMatch(/Abort/)
  // Before the swap there is nothing to roll back.
  expect(prompt).not.toMatch(/Roll back/)
  expect(await mxOn(lab.primary, zone)).toEqual({ttl: 1, records: ['10 mail.tty.test']})

  keys('Down', 'Down', 'Enter')
  await until('the diff', () => /now on .*as before the change/.test(screen()), 30_000)
  expect(screen()).toMatch(/\+ tty\.test\. 1 IN MX 0 mx\.target\.test\./)
  await until('the prompt again', () => (screen().match(/Confirm the swap: what next\?/g) ?? []).length >= 1 && /❯ Continue/.test(screen()), 30_000)
  keys('Enter')

  await until('the mail-flow checkpoint', () => /Confirm that mail arrives at the target: what next\?/.test(screen()) && /Roll back/.test(screen()), 60_000)
  expect(screen()).toMatch(/Roll back/)
  expect(await mxOn(lab.secondary, zone)).toEqual({ttl: 1, records: [`0 ${TARGET_MX}`]})
  keys('Down', 'Enter')
  await until('the exit', () => /\[exit 0\]/.test(screen()), 30_000)
  expect(screen()).toMatch(/paused at checkpoint confirm-mail-flow/)
  expect(screen()).toMatch(/continue with: mxcut resume /)

  const status = parseJson<{state: string; next: {id: string}}>(await runCli(['status', plan, '--json']))
  expect(status.state).toBe('paused')
  expect(status.next.id).toBe('confirm-mail-flow')
})
