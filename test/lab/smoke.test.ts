import {afterAll, beforeAll, expect, test} from 'vitest'
import {query} from '../../src/dns/client.js'
import {startLab, type Lab} from './lab.js'

let lab: Lab
beforeAll(async () => {
  lab = await startLab({zones: [{name: 'contoso.test', records: ['@ 3600 IN MX 10 mail', 'mail IN A 127.0.0.9']}], resolvers: [{}, {cacheMinTtl: 30}]})
})
afterAll(async () => lab?.stop())

test('lab answers', async () => {
  const r = await query(lab.primary, 'contoso.test', 'MX', {recursion: false})
  expect(r.status).toBe('ok')
  expect(r.aa).toBe(true)
  const r2 = await query(lab.resolvers[0], 'contoso.test', 'MX')
  console.log(r2)
  const r3 = await query(lab.resolvers[1], 'nothere.example', 'MX')
  console.log(r3.status, r3.authorities)
})
