import {describe, expect, test} from 'vitest'
import {progressLine, renderVerify, stateKey} from '../../src/verify/render.js'
import {plainDisplay} from '../../src/verify/live.js'
import {verifyPropagation} from '../../src/verify/verify.js'
import {fakeWorld} from './fake-world.js'

const domain = 'contoso.com'
const oldMx = [{priority: 10, exchange: 'mx1.fabrikam.com'}]
const newMx = [{priority: 0, exchange: 'contoso-com.mail.protection.outlook.com'}]

async function staleReport() {
  const w = fakeWorld(domain)
  w.publish(oldMx, 300)
  const resolvers = [w.resolver('google 8.8.8.8'), w.resolver('clamp', {clampMin: 3600}), w.resolver('dead', {behaviour: 'refused-conn'})]
  for (const r of resolvers) await w.client.query(r, domain, 'MX')
  w.publish(newMx, 300)
  return {w, report: await verifyPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth, resolvers, now: w.now, publishedTtl: 300})}
}

describe('text output (NO_COLOR)', () => {
  test('table with status, remaining TTL, answers and the clamping note; verdict with the ETA', async () => {
    process.env.NO_COLOR = '1'
    const {report} = await staleReport()
    const text = renderVerify(report, 'from --expect-mx')
    expect(text).toMatch(/RESOLVER\s+STATUS\s+OLD TTL LEFT\s+ANSWER\s+NOTE/)
    expect(text).toMatch(/google 8\.8\.8\.8 \(198\.51\.100\.1\)\s+stale\s+300 s\s+10 mx1\.fabrikam\.com \(old\) ×3/)
    expect(text).toMatch(/clamp \(198\.51\.100\.2\)\s+stale\s+3600 s.*may serve the old MX for up to 3600 s more/)
    expect(text).toMatch(/dead \(198\.51\.100\.3\)\s+unreachable\s+-\s+-\s+connect ECONNREFUSED/)
    expect(text).toMatch(/Not converged; the last stale cache expires in 1 h 00 min/)
    expect(text).not.toMatch(/\u001B\[/)
  })

  test('plain watch lines: printed on change, with the clamp message once', async () => {
    const {w, report} = await staleReport()
    const lines: string[] = []
    const display = plainDisplay((l) => lines.push(l), w.now)
    display.update(report)
    display.update(report)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/authoritative 2\/2 updated, resolvers 0\/3 updated, 2 stale, 1 unreachable, 1 clamping TTLs — last stale cache expires in 1 h 00 min/)
    expect(lines[1]).toMatch(/^ {2}clamp \(198\.51\.100\.2\): holds the old MX with 3600 s left/)
    w.advance(20_000)
    display.update(report)
    expect(lines).toHaveLength(3)
    expect(progressLine(report)).toContain('resolvers 0/3 updated')
    expect(stateKey(report)).toContain('198.51.100.2=stale')
  })
})

describe('grammar with one of each', () => {
  test('"1 resolver", "the 1 authoritative server", "1 resolver still holds"', async () => {
    process.env.NO_COLOR = '1'
    const w = fakeWorld(domain)
    w.publish(oldMx, 300)
    const one = [w.resolver('only')]
    await w.client.query(one[0], domain, 'MX')
    w.publish(newMx, 300)
    const stale = await verifyPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth.slice(0, 1), resolvers: one, now: w.now, publishedTtl: 300})
    expect(stale.pending).toContain('1 resolver still holds the old MX in cache')
    w.advance(301_000)
    const done = await verifyPropagation({client: w.client, domain, expected: newMx, authoritative: w.auth.slice(0, 1), resolvers: one, now: w.now, publishedTtl: 300})
    expect(renderVerify(done, 'from --expect-mx')).toMatch(/Converged: the 1 authoritative server and 1 resolver serve the expected MX\./)
  })
})
