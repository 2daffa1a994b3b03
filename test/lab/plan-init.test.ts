import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {serverLabel} from '../../src/dns/server.js'
import {loadConfig} from '../../src/plan/config.js'
import {cliCommandLine, runCli} from '../helpers/cli.js'
import {startLab, type Lab} from './lab.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let lab: Lab
let dir: string
const session = `mxcut-init-${process.pid}`

beforeAll(async () => {
  lab = await startLab({zones: [{name: 'contoso.test', serial: 3, records: ['@ 7200 IN MX 10 mail', 'mail IN A 127.0.0.25', '@ IN TXT "v=spf1 mx -all"']}]})
  dir = mkdtempSync(join(tmpdir(), 'mxcut-init-'))
})
afterAll(async () => {
  try {
    execFileSync('tmux', ['kill-session', '-t', session], {stdio: 'ignore'})
  } catch {
    /* already gone */
  }
  await lab?.stop()
})

const ns = () => ['--nameserver', serverLabel(lab.primary), '--nameserver', serverLabel(lab.secondary), '--timeout', '800']

describe('mxcut init without a terminal', () => {
  test('a missing answer without a default names its flag: exit 2, one line, nothing written', async () => {
    const out = join(dir, 'missing.yaml')
    const noDomain = await runCli(['init', '--out', out, ...ns()])
    expect(noDomain.code).toBe(2)
    expect(noDomain.stderr.trim()).toBe('mxcut: --domain is required when there is no terminal to ask (Domain whose mail moves)')
    const noTarget = await runCli(['init', '--domain', 'contoso.test', '--out', out, ...ns()])
    expect(noTarget.code).toBe(2)
    expect(noTarget.stderr.trim()).toMatch(/^mxcut: --to is required when there is no terminal to ask/)
    const clearSecret = await runCli(['init', '--domain', 'contoso.test', '--to', 'microsoft365', '--dns-host', 'rfc2136', '--rfc2136-server', '192.0.2.53', '--tsig-secret', 'c2VjcmV0', '--out', out, ...ns()])
    expect(clearSecret.code).toBe(2)
    expect(clearSecret.stderr.trim()).toBe('mxcut: --tsig-secret must be a reference, env:NAME or file:PATH, never the secret itself')
    expect(existsSync(out)).toBe(false)
  })

  test('flags answer everything; defaults come from live DNS', async () => {
    const out = join(dir, 'flags.yaml')
    const r = await runCli(['init', '--domain', 'contoso.test', '--to', 'google-workspace', '--dns-host', 'rfc2136', '--rfc2136-server', serverLabel(lab.primary), '--tsig-secret', 'env:LAB_TSIG', '--out', out, ...ns()])
    expect(r.code, r.stderr).toBe(0)
    const config = await loadConfig(out)
    expect(config).toMatchObject({domain: 'contoso.test', target: {profile: 'google-workspace', dkim: false}, ttl: {lowered: 300}, dns: {host: 'rfc2136', rfc2136: {key: {name: 'mxcut', secret: 'env:LAB_TSIG'}}}})
    // No MX was typed: the config leaves it out (the plan uses Google's documented smtp.google.com and says so).
    expect(config.target.mx).toBeUndefined()
    // final is left to the planner (today's 7200 s), and said so.
    expect(config.ttl.final).toBeUndefined()
    expect(readFileSync(out, 'utf8')).toContain('Today: MX 10 mail.contoso.test, TTL 7200 s')
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const again = await runCli(['init', '--domain', 'contoso.test', '--to', 'google-workspace', '--out', out, ...ns()])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/exists; give --force/)
    // The servers init read are the ones plan and run must read too.
    expect(config.dns.nameservers).toEqual([serverLabel(lab.primary), serverLabel(lab.secondary)])
  })

  test('moving to the provider the domain already uses is refused, naming it', async () => {
    await lab.writeZone({name: 'contoso.test', serial: 4, records: ['@ 7200 IN MX 1 smtp.google.com.', 'mail IN A 127.0.0.25']})
    await lab.waitForSerial(lab.secondary, 'contoso.test', 4)
    const r = await runCli(['init', '--domain', 'contoso.test', '--to', 'google-workspace', '--out', join(dir, 'same.yaml'), ...ns()])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/^mxcut: contoso\.test already receives its mail at Google Workspace .*choose another --to$/)
    await lab.writeZone({name: 'contoso.test', serial: 5, records: ['@ 7200 IN MX 10 mail', 'mail IN A 127.0.0.25', '@ IN TXT "v=spf1 mx -all"']})
    await lab.waitForSerial(lab.secondary, 'contoso.test', 5)
  })
})

describe('mxcut init in a terminal (tmux)', () => {
  const capture = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'})
  const keys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', session, ...k])
  const type = (text: string) => execFileSync('tmux', ['send-keys', '-t', session, '-l', text])
  async function screenShows(pattern: RegExp, timeoutMs = 20000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = capture()
      if (pattern.test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`tmux screen never showed ${pattern}:\n${screen}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  test('the wizard reads live DNS, proposes defaults, validates answers and writes the config', async () => {
    const out = join(dir, 'wizard.yaml')
    const command = `cd ${root} && MXCUT_LOOPBACK_ONLY=1 ${cliCommandLine()} init ${ns().join(' ')} --out ${out}; echo "EXIT:$?"; sleep 60`
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', command])

    await screenShows(/Domain whose mail moves/)
    type('bad..domain')
    keys('Enter')
    await screenShows(/empty label/)
    for (let i = 0; i < 'bad..domain'.length; i++) keys('BSpace')
    type('contoso.test')
    keys('Enter')
    // With --nameserver alone, the resolvers proposed are none: Enter keeps that.
    await screenShows(/Resolvers to use/)
    keys('Enter')

    const today = await screenShows(/Provider mail moves to/)
    expect(today).toMatch(/Today contoso.test has MX 10 mail.contoso.test with TTL 7200 s \(2 h 00 min\); no known provider/)
    keys('Enter') // microsoft365, the first choice
    await screenShows(/Microsoft Graph token/)
    keys('Enter') // no Graph
    const mxPrompt = await screenShows(/Target MX as shown at Microsoft 365 admin center/)
    // Nothing is proposed: an MX Microsoft assigns is never guessed, Enter keeps target.mx out of the config.
    expect(mxPrompt).not.toMatch(/\(0 contoso-test/)
    keys('Enter')
    await screenShows(/Domain-verification TXT/)
    type('ms55554444')
    keys('Enter')
    await screenShows(/must start with MS=/)
    for (let i = 0; i < 'ms55554444'.length; i++) keys('BSpace')
    type('MS=ms55554444')
    keys('Enter')
    await screenShows(/DKIM selector1\._domainkey CNAME value from Microsoft Defender portal/)
    type('selector1-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft')
    keys('Enter')
    await screenShows(/DKIM selector2\._domainkey CNAME value/)
    type('selector2-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft')
    keys('Enter')
    await screenShows(/How are DNS changes made/)
    keys('Enter') // manual
    await screenShows(/MX TTL during the cutover/)
    keys('Enter') // 300
    await screenShows(/MX TTL after the cutover.*\(7200\)/)
    keys('Enter')
    await screenShows(/Strategy/)
    keys('Down')
    keys('Enter') // staged
    const done = await screenShows(/EXIT:\d+/)
    expect(done).toContain('EXIT:0')
    expect(done).toContain(`Wrote ${out}`)

    const config = await loadConfig(out)
    expect(config).toMatchObject({
      domain: 'contoso.test',
      strategy: 'staged',
      target: {
        profile: 'microsoft365',
        verification: 'MS=ms55554444',
        dkim: [
          {selector: 'selector1', type: 'CNAME', value: 'selector1-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft'},
          {selector: 'selector2', type: 'CNAME', value: 'selector2-contoso-test._domainkey.contoso.n-v1.dkim.mail.microsoft'},
        ],
      },
      dns: {host: 'manual'},
      ttl: {lowered: 300},
    })
    expect(config.target.mx).toBeUndefined()
  }, 90_000)
})
