import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import type {PlanState} from '../../src/state/schema.js'
import {cliArgv, packageRoot, type CliResult} from '../helpers/cli.js'

/**
 * Offline means offline: the CLI runs in a network namespace of its own
 * (unshare -n, as root) whose only interface is loopback, so any attempt to
 * reach a resolver or a name server outside fails at once.
 */
function offline(args: string[]): Promise<CliResult> {
  const command = ['ip link set lo up', 'exec "$@"'].join(' && ')
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', 'sh', '-c', command, 'sh', ...cliArgv(), ...args], {
      cwd: packageRoot,
      env: {...process.env, NO_COLOR: '1', MXCUT_LOOPBACK_ONLY: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

test('rehearse plans/examples/tailspin-toys.yaml --zone plans/examples/tailspin-toys.zone runs to completion with no network', {timeout: 150_000}, async () => {
  const r = await offline(['rehearse', 'plans/examples/tailspin-toys.yaml', '--zone', 'plans/examples/tailspin-toys.zone'])
  expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0)
  expect(r.stdout).toMatch(/^Reading today's records of tailspin-toys\.example from the zone file plans\/examples\/tailspin-toys\.zone \(offline\)…$/m)
  expect(r.stdout).toMatch(/Rehearsal of tailspin-toys\.example: completed/)
  expect(r.stdout).toMatch(/0 bounced/)
  expect(r.stdout).toMatch(/primary +serial \d+ +tailspin-toys\.example\. 3600 IN MX 0 tailspin-toys-example\.mail\.protection\.outlook\.com\./)
  expect(r.stderr).toBe('')

  // The config's resolvers are public ones: without --zone the same rehearsal cannot read today's records here.
  const live = await offline(['rehearse', 'plans/examples/tailspin-toys.yaml'])
  expect(live.code).toBe(2)
  expect(live.stderr).toMatch(/^mxcut: /)
})

test('plan --zone writes the reviewable plan offline, from the file, saying so', {timeout: 60_000}, async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mxcut-zoneplan-')), 'tailspin.plan.json')
  const r = await offline(['plan', 'plans/examples/tailspin-toys.yaml', '--zone', 'plans/examples/tailspin-toys.zone', '--out', out])
  expect(r.code, r.stderr).toBe(0)
  expect(r.stdout).toMatch(/Planned offline from the zone file plans\/examples\/tailspin-toys\.zone, not from live DNS/)
  const plan = JSON.parse(readFileSync(out, 'utf8')) as PlanState
  expect(plan.observed.mx).toEqual({ttl: 3600, records: [{priority: 1, exchange: 'smtp.google.com'}]})
  expect(plan.observed.soa).toMatchObject({serial: 2025030301, minimum: 300})
  expect(plan.steps.map((s) => s.id)).toEqual(['preflight', 'publish-companions', 'lower-ttl', 'wait-old-ttl', 'confirm-swap', 'probe-before-swap', 'swap-mx', 'verify-propagation', 'probe-source', 'confirm-mail-flow', 'restore-ttl', 'decommission-check', 'soak', 'cleanup'])
})
