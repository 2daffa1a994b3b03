import {spawn} from 'node:child_process'
import {lookup as osLookup, type LookupAddress} from 'node:dns'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {isIP} from 'node:net'
import {hostname} from 'node:os'
import {errorMessage} from '../lib/errors.js'
import {assertConnectionAllowed, isLoopbackAddress} from '../lib/loopback-guard.js'
import {resolveSecret, SECRET_REF} from '../lib/secrets.js'
import type {Journal} from './journal.js'

/**
 * Tells a person when a plan needs one: `--notify CMD` runs CMD with the
 * event as JSON on stdin; `--notify https://…` (or env:NAME / file:PATH
 * holding the URL, as webhook URLs carry their token) posts the same JSON,
 * with a `text` line that Slack and Teams incoming webhooks display.
 * Sending never blocks the run: it starts in the background, failures go to
 * the journal and one warning line, and the command waits for the senders
 * (a bounded time) only before it exits.
 */

export type NotifyEventKind = 'checkpoint' | 'drift' | 'failed' | 'paused' | 'done' | 'rolled-back'

/** What the run reports; the notifier adds who, where and when. */
export interface RunNotice {
  event: NotifyEventKind
  step?: string | null
  message: string
}

/** The JSON a notifier receives (README "Notifications"). */
export interface NotifyEvent {
  version: 1
  event: NotifyEventKind
  /** True when nothing moves until a person acts (checkpoint, drift, failed). */
  needsPerson: boolean
  domain: string
  plan: string
  planId: string
  step: string | null
  message: string
  /** What to type next, when there is something to continue. */
  next: string | null
  at: string
  host: string
  /** One line for chat webhooks (Slack, Teams). */
  text: string
}

export interface NotifyContext {
  domain: string
  plan: string
  planId: string
  next: string | null
}

export interface Notifier {
  readonly targets: readonly string[]
  send(notice: RunNotice): void
  /** Waits for the senders started so far, at most `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>
}

const NEEDS_PERSON: Record<NotifyEventKind, boolean> = {checkpoint: true, drift: true, failed: true, paused: false, done: false, 'rolled-back': false}
const SEND_TIMEOUT_MS = 10_000

const HEADLINE: Record<NotifyEventKind, string> = {
  checkpoint: 'needs a person at',
  drift: 'stopped on drift at',
  failed: 'stopped at',
  paused: 'paused at',
  done: 'cutover complete',
  'rolled-back': 'rolled back',
}

export function notifyEvent(notice: RunNotice, context: NotifyContext, now: Date = new Date()): NotifyEvent {
  const step = notice.step ?? null
  const head = notice.event === 'done' || notice.event === 'rolled-back' ? HEADLINE[notice.event] : `${HEADLINE[notice.event]} ${step ?? 'the plan'}`
  const firstLine = notice.message.split('\n')[0]
  return {
    version: 1,
    event: notice.event,
    needsPerson: NEEDS_PERSON[notice.event],
    domain: context.domain,
    plan: context.plan,
    planId: context.planId,
    step,
    message: notice.message,
    next: context.next,
    at: now.toISOString(),
    host: hostname(),
    text: `mxcut: ${context.domain} ${head}: ${firstLine}${context.next && NEEDS_PERSON[notice.event] ? ` (then: ${context.next})` : ''}`,
  }
}

/** How a notifier target is shown in messages: a URL without its path (which may hold a token), a command as written. */
export function describeTarget(target: string): string {
  if (SECRET_REF.test(target)) return target
  if (/^https?:\/\//i.test(target)) {
    try {
      return `${new URL(target).origin}/…`
    } catch {
      return 'a webhook URL'
    }
  }
  return `'${target}'`
}

export function createNotifier(targets: readonly string[], context: NotifyContext, options: {journal?: Journal; warn: (line: string) => void; now?: () => Date}): Notifier {
  const pending = new Set<Promise<void>>()
  return {
    targets,
    send(notice) {
      const event = notifyEvent(notice, context, options.now?.() ?? new Date())
      for (const target of targets) {
        const sending = deliver(target, event).then(
          () => options.journal?.append({event: 'notify', step: event.step ?? undefined, message: `${event.event} sent to ${describeTarget(target)}`}).catch(() => undefined),
          async (err: unknown) => {
            const line = `notifier ${describeTarget(target)} failed for the ${event.event} event: ${errorMessage(err)}`
            options.warn(line)
            await options.journal?.append({event: 'notify-failed', step: event.step ?? undefined, message: line}).catch(() => undefined)
          },
        )
        pending.add(sending)
        void sending.finally(() => pending.delete(sending))
      }
    },
    async flush(timeoutMs = SEND_TIMEOUT_MS) {
      if (pending.size === 0) return
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all([...pending]), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))])
      clearTimeout(timer)
    },
  }
}

async function deliver(target: string, event: NotifyEvent): Promise<void> {
  const resolved = SECRET_REF.test(target) ? resolveSecret(target, 'notify') : target
  const body = JSON.stringify(event) + '\n'
  if (/^https?:\/\//i.test(resolved)) return post(resolved, body)
  return runCommand(resolved, body, event)
}

/** Runs the command through the shell with the event on stdin; a non-zero exit is a failure. */
function runCommand(command: string, body: string, event: NotifyEvent): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: {...process.env, MXCUT_EVENT: event.event, MXCUT_DOMAIN: event.domain, MXCUT_PLAN: event.plan},
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), SEND_TIMEOUT_MS)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve()
      const last = stderr.trim().split('\n').pop()
      reject(new Error(`${signal ? `killed by ${signal} (took over ${SEND_TIMEOUT_MS / 1000} s)` : `exited ${code}`}${last ? `: ${last}` : ''}`))
    })
    // A notifier that ignores stdin closes the pipe early: not a failure by itself.
    child.stdin.on('error', () => undefined)
    child.stdin.end(body)
  })
}

/** The address the webhook host resolves to is checked against the loopback guard before connecting. */
function guardedLookup(host: string, opts: object, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
  osLookup(host, {...opts, all: false}, (err, address, family) => {
    if (err) return cb(err, '', 0)
    try {
      assertConnectionAllowed('HTTPS', address)
    } catch (e) {
      return cb(e as NodeJS.ErrnoException, '', 0)
    }
    cb(null, address, family)
  })
}

/** POSTs the event as JSON; plain http only to loopback (a webhook URL carries its token). */
function post(url: string, body: string): Promise<void> {
  const u = new URL(url)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  if (u.protocol === 'http:' && !isLoopbackAddress(host)) throw new Error('webhooks need https:// (plain http only to this machine)')
  // An address in the URL is never looked up: check it here; names are checked once resolved.
  if (isIP(host)) assertConnectionAllowed('HTTPS', host)
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {method: 'POST', headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'mxcut'}, lookup: guardedLookup, timeout: SEND_TIMEOUT_MS},
      (res) => {
        res.resume()
        res.on('end', () => {
          const code = res.statusCode ?? 0
          if (code >= 200 && code < 300) resolve()
          else reject(new Error(`the webhook answered HTTP ${code}`))
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${SEND_TIMEOUT_MS / 1000} s`)))
    req.on('error', reject)
    req.end(body)
  })
}
