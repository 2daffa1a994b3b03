import {appendFileSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {openIntents, openJournal, readJournal, repairJournal} from '../../src/run/journal.js'

const dir = mkdtempSync(join(tmpdir(), 'mxcut-journal-'))

test('appends in order, one line per entry, mode 0600', async () => {
  const path = join(dir, 'a.journal.ndjson')
  const j = openJournal(path)
  await Promise.all([j.append({event: 'run-start'}), j.append({event: 'step-start', step: 'lower-ttl'}), j.append({event: 'step-done', step: 'lower-ttl'})])
  const entries = await readJournal(path)
  expect(entries.map((e) => e.event)).toEqual(['run-start', 'step-start', 'step-done'])
  expect(entries.every((e) => e.run === j.run && e.pid === process.pid)).toBe(true)
  expect(statSync(path).mode & 0o777).toBe(0o600)
})

test('an intent without an outcome stays open until resolved', async () => {
  const path = join(dir, 'b.journal.ndjson')
  const j = openJournal(path)
  const a = j.newIntentId()
  const b = j.newIntentId()
  await j.append({event: 'intent', step: 'lower-ttl', intent: a})
  await j.append({event: 'outcome', step: 'lower-ttl', intent: a, result: 'applied'})
  await j.append({event: 'intent', step: 'swap-mx', intent: b})
  let open = openIntents(await readJournal(path))
  expect(open.map((e) => e.step)).toEqual(['swap-mx'])
  await j.append({event: 'interrupted-intent', step: 'swap-mx', intent: b, message: 'found applied'})
  open = openIntents(await readJournal(path))
  expect(open).toEqual([])
})

test('a torn last line (crash mid-append) is skipped; damage earlier is an error', async () => {
  const path = join(dir, 'c.journal.ndjson')
  const j = openJournal(path)
  await j.append({event: 'run-start'})
  appendFileSync(path, '{"at":"2025-')
  expect((await readJournal(path)).length).toBe(1)
  appendFileSync(path, '\n{"at":"x","pid":1,"run":"r","event":"run-end"}\n')
  await expect(readJournal(path)).rejects.toThrow(/line 2 is not JSON/)
})

test('a missing journal is empty', async () => {
  expect(await readJournal(join(dir, 'none.ndjson'))).toEqual([])
})

test('a torn tail is set aside in JOURNAL.torn before appending again; a whole entry without its newline is completed', async () => {
  const path = join(dir, 'torn.journal.ndjson')
  const j = openJournal(path)
  await j.append({event: 'run-start'})
  const fragment = '{"at":"2025-01-01T00:00:00.000Z","pid":7,"run":"r","event":"intent","step":"swap-mx","inte'
  appendFileSync(path, fragment)
  const notice = await repairJournal(path)
  expect(notice).toMatch(/ended with a partial entry \(\d+ bytes, .*set aside in .*torn\.journal\.ndjson\.torn, continuing$/)
  expect(readFileSync(`${path}.torn`, 'utf8')).toBe(`${fragment}\n`)
  expect(await repairJournal(path)).toBeNull()
  await j.append({event: 'run-end'})
  expect((await readJournal(path)).map((e) => e.event)).toEqual(['run-start', 'run-end'])

  appendFileSync(path, '{"at":"x","pid":1,"run":"r","event":"paused"}')
  expect(await repairJournal(path)).toBeNull()
  expect(readFileSync(path, 'utf8').endsWith('"paused"}\n')).toBe(true)
})

test('a line where an older version glued an entry onto a fragment is read past the fragment', async () => {
  const path = join(dir, 'glued.journal.ndjson')
  appendFileSync(path, '{"at":"a","pid":1,"run":"r","event":"run-start"}\n{"at":"2025-01{"at":"b","pid":1,"run":"r","event":"run-end"}\n')
  expect((await readJournal(path)).map((e) => e.event)).toEqual(['run-start', 'run-end'])
})
