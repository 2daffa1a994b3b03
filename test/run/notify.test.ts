import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {createServer as createHttpServer, type IncomingMessage, type Server} from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {notifyTargetProblem} from '../../src/lib/notify-target.js'
import {memoryJournal} from '../../src/run/journal.js'
import {createNotifier, describeTarget, type NotifyEvent} from '../../src/run/notify.js'
import {createTestCa} from '../helpers/tls.js'

const dir = mkdtempSync(join(tmpdir(), 'mxcut-notify-'))
const context = {domain: 'contoso.test', plan: '/plans/contoso.test.plan.json', planId: 'p1', next: 'mxcut resume plans/contoso.test.plan.json'}

/** Collects the bodies posted to a local listener (HTTP, or HTTPS with a throwaway CA), answering with `status`. */
function listener(server: Server, status: () => number): {bodies: string[]; headers: IncomingMessage['headers'][]} {
  const got = {bodies: [] as string[], headers: [] as IncomingMessage['headers'][]}
  server.on('request', (req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      got.bodies.push(body)
      got.headers.push(req.headers)
      res.writeHead(status()).end('ok')
    })
  })
  return got
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

describe('notifier command', () => {
  test('gets the event as JSON on stdin, in the background; flush waits for it', async () => {
    const out = join(dir, 'event.json')
    const journal = memoryJournal()
    const warnings: string[] = []
    const n = createNotifier([`sleep 0.3; cat > '${out}'`], context, {journal, warn: (l) => warnings.push(l)})
    n.send({event: 'checkpoint', step: 'confirm-swap', message: 'Confirm the swap'})
    // send returned at once: the command is still sleeping.
    expect(existsSync(out)).toBe(false)
    await n.flush()
    const event = JSON.parse(readFileSync(out, 'utf8')) as NotifyEvent
    expect(event).toMatchObject({version: 1, event: 'checkpoint', needsPerson: true, domain: 'contoso.test', step: 'confirm-swap', message: 'Confirm the swap', next: context.next})
    expect(event.text).toBe('mxcut: contoso.test needs a person at confirm-swap: Confirm the swap (then: mxcut resume plans/contoso.test.plan.json)')
    expect(Date.parse(event.at)).not.toBeNaN()
    expect(warnings).toEqual([])
    expect(journal.entries.map((e) => e.event)).toEqual(['notify'])
  })

  test('a failing command is logged (journal and one warning line), never thrown', async () => {
    const journal = memoryJournal()
    const warnings: string[] = []
    const n = createNotifier(['echo "no route to the pager" >&2; exit 3'], context, {journal, warn: (l) => warnings.push(l)})
    expect(() => n.send({event: 'failed', step: 'swap-mx', message: 'drift'})).not.toThrow()
    await n.flush()
    expect(warnings).toEqual([`notifier 'echo "no route to the pager" >&2; exit 3' failed for the failed event: exited 3: no route to the pager`])
    expect(journal.entries).toMatchObject([{event: 'notify-failed', step: 'swap-mx'}])
  })

  test('env:NAME holds the command or URL; an unset variable is a logged failure', async () => {
    const out = join(dir, 'from-env.json')
    process.env.MXCUT_TEST_NOTIFY = `cat > '${out}'`
    const warnings: string[] = []
    const n = createNotifier(['env:MXCUT_TEST_NOTIFY', 'env:MXCUT_TEST_UNSET'], context, {warn: (l) => warnings.push(l)})
    n.send({event: 'done', message: 'every step is done'})
    await n.flush()
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({event: 'done', needsPerson: false, text: 'mxcut: contoso.test cutover complete: every step is done'})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^notifier env:MXCUT_TEST_UNSET failed for the done event: notify: environment variable MXCUT_TEST_UNSET is not set/)
  })
})

describe('webhook', () => {
  const ca = createTestCa()
  const leaf = ca.issue(['127.0.0.1'])
  const secure = https.createServer({key: leaf.key, cert: leaf.cert})
  const plain = createHttpServer()
  let code = 200
  const got = listener(secure, () => code)
  const gotPlain = listener(plain, () => 200)
  let port = 0
  let plainPort = 0
  const savedCa = https.globalAgent.options.ca

  beforeAll(async () => {
    port = await listen(secure)
    plainPort = await listen(plain)
    https.globalAgent.options.ca = [ca.caPem]
  })
  afterAll(() => {
    https.globalAgent.options.ca = savedCa
    secure.close()
    plain.close()
  })

  test('posts the same JSON over HTTPS to a local listener (Slack/Teams read its text)', async () => {
    const warnings: string[] = []
    const url = `https://127.0.0.1:${port}/services/T000/B000/secret-token`
    const n = createNotifier([url], context, {warn: (l) => warnings.push(l)})
    n.send({event: 'drift', step: 'swap-mx', message: 'drift at step swap-mx: contoso.test MX is neither…'})
    await n.flush()
    expect(warnings).toEqual([])
    expect(got.headers[0]['content-type']).toBe('application/json')
    const event = JSON.parse(got.bodies[0]) as NotifyEvent
    expect(event).toMatchObject({event: 'drift', needsPerson: true, step: 'swap-mx'})
    expect(event.text).toMatch(/^mxcut: contoso\.test stopped on drift at swap-mx: drift at step swap-mx/)
  })

  test('an HTTP error is a logged failure that names the origin only (the path holds the token)', async () => {
    code = 500
    const warnings: string[] = []
    const n = createNotifier([`https://127.0.0.1:${port}/services/T000/B000/secret-token`], context, {warn: (l) => warnings.push(l)})
    n.send({event: 'paused', step: 'wait-old-ttl', message: 'paused'})
    await n.flush()
    code = 200
    expect(warnings).toEqual([`notifier https://127.0.0.1:${port}/… failed for the paused event: the webhook answered HTTP 500`])
    expect(warnings.join('')).not.toMatch(/secret-token/)
  })

  test('plain http is for this machine only; the loopback guard refuses other addresses', async () => {
    const warnings: string[] = []
    const n = createNotifier([`http://127.0.0.1:${plainPort}/hook`, 'https://192.0.2.10/hook'], context, {warn: (l) => warnings.push(l)})
    n.send({event: 'done', message: 'every step is done'})
    await n.flush()
    expect(JSON.parse(gotPlain.bodies[0])).toMatchObject({event: 'done'})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^notifier https:\/\/192\.0\.2\.10\/… failed for the done event: refusing HTTPS connection to 192\.0\.2\.10: MXCUT_LOOPBACK_ONLY is set/)
  })
})

test('targets are checked as the config and --notify take them, and shown without secrets', () => {
  expect(notifyTargetProblem('logger -t mxcut')).toBeNull()
  expect(notifyTargetProblem('https://hooks.example.net/x')).toBeNull()
  expect(notifyTargetProblem('env:SLACK_URL')).toBeNull()
  expect(notifyTargetProblem('http://hooks.example.net/x')).toBe('webhooks must use https:// (plain http only to this machine)')
  expect(notifyTargetProblem('http://127.0.0.1:8080/x')).toBeNull()
  expect(notifyTargetProblem(' ')).toMatch(/must not be empty/)
  expect(describeTarget('https://hooks.example.net/services/T/B/token')).toBe('https://hooks.example.net/…')
  expect(describeTarget('env:SLACK_URL')).toBe('env:SLACK_URL')
})

test('notify: in the config is one target or a list, checked like --notify, and recorded in the plan', async () => {
  const {parseConfig, recordedConfig} = await import('../../src/plan/config.js')
  const base = {version: 1, domain: 'contoso.test', target: {profile: 'google-workspace'}}
  const one = parseConfig({...base, notify: 'logger -t mxcut'}, 'c.yaml')
  expect(one.notify).toEqual(['logger -t mxcut'])
  expect(recordedConfig(parseConfig({...base, notify: ['env:SLACK_URL', 'https://hooks.example.net/x']}, 'c.yaml')).notify).toEqual(['env:SLACK_URL', 'https://hooks.example.net/x'])
  expect(() => parseConfig({...base, notify: ['http://hooks.example.net/x']}, 'c.yaml')).toThrow('c.yaml: notify[0] webhooks must use https:// (plain http only to this machine)')
})
