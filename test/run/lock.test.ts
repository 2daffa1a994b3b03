import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {acquireLock, processStartTime, readLock} from '../../src/run/lock.js'

const dir = mkdtempSync(join(tmpdir(), 'mxcut-lock-'))

test('a second acquire names the live holder; release frees it', async () => {
  const lockPath = join(dir, 'a.lock')
  const lock = await acquireLock('a.plan.json', lockPath, 'mxcut run')
  expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid)
  await expect(acquireLock('a.plan.json', lockPath, 'mxcut resume')).rejects.toThrow(
    new RegExp(`plan a.plan.json is locked by PID ${process.pid} \\(mxcut run, started now`),
  )
  await lock.release()
  expect(existsSync(lockPath)).toBe(false)
  const again = await acquireLock('a.plan.json', lockPath, 'mxcut resume')
  await again.release()
})

test('a lock of a dead process is taken over', async () => {
  const lockPath = join(dir, 'b.lock')
  const child = spawn(process.execPath, ['-e', ''])
  const pid = child.pid as number
  await new Promise((r) => child.on('exit', r))
  writeFileSync(lockPath, JSON.stringify({pid, command: 'mxcut run', startedAt: new Date().toISOString(), host: hostname(), procStart: null, nonce: 'dead'}))
  const lock = await acquireLock('b.plan.json', lockPath, 'mxcut resume')
  expect((await readLock(lockPath))?.pid).toBe(process.pid)
  await lock.release()
})

test('a live PID that was reused by another process (different start time) is stale', async () => {
  const lockPath = join(dir, 'c.lock')
  expect(processStartTime(process.pid)).not.toBeNull()
  writeFileSync(lockPath, JSON.stringify({pid: process.ppid, command: 'mxcut run', startedAt: new Date().toISOString(), host: hostname(), procStart: '1', nonce: 'reused'}))
  const lock = await acquireLock('c.plan.json', lockPath, 'mxcut run')
  await lock.release()
})

test('a garbage lock file (crash between create and write) is stale', async () => {
  const lockPath = join(dir, 'd.lock')
  writeFileSync(lockPath, '')
  const old = new Date(Date.now() - 10_000)
  utimesSync(lockPath, old, old)
  const lock = await acquireLock('d.plan.json', lockPath, 'mxcut run')
  await lock.release()
})

test('a lock held by another live process is refused, naming it', async () => {
  const lockPath = join(dir, 'e.lock')
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  const pid = child.pid as number
  writeFileSync(lockPath, JSON.stringify({pid, command: 'mxcut run', startedAt: new Date(Date.now() - 125_000).toISOString(), host: hostname(), procStart: processStartTime(pid), nonce: 'live'}))
  try {
    await expect(acquireLock('e.plan.json', lockPath, 'mxcut run')).rejects.toThrow(new RegExp(`locked by PID ${pid} \\(mxcut run, started 2 min 0[45] s ago`))
  } finally {
    child.kill('SIGKILL')
  }
})
