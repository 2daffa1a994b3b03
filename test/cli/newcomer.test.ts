import {describe, expect, test} from 'vitest'
import {parseJson, runCli} from '../helpers/cli.js'

/** What a newcomer types wrong on the first day, each answered in mxcut's one line (exit 2) with what to do. */
describe('mistakes at the command line', () => {
  test('a mistyped command says which one was meant', async () => {
    const r = await runCli(['statsu', 'plans/x.plan.json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("mxcut: 'statsu' is not an mxcut command: did you mean status? (see: mxcut --help)\n")
    const none = await runCli(['frobnicate'])
    expect(none.stderr).toBe("mxcut: 'frobnicate' is not an mxcut command (see: mxcut --help)\n")
  })

  test('a mistyped flag says which one was meant', async () => {
    const r = await runCli(['verify', 'contoso.com', '--expect-mxx', '0 mx.contoso.com'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('mxcut: unknown flag --expect-mxx: did you mean --expect-mx? (see: mxcut verify --help)\n')
  })

  test('a missing argument is named, with what it is and the usage', async () => {
    const r = await runCli(['inspect'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('mxcut: mxcut inspect needs DOMAIN: Domain whose mail DNS to read (IDN accepted). Usage: mxcut inspect DOMAIN; see mxcut inspect --help\n')
  })

  test('flags that exclude each other say so on one line', async () => {
    const r = await runCli(['audit', 'contoso.com', '--csv', '--json'])
    expect(r.code).toBe(2)
    expect(parseJson<{error: {message: string}}>(r).error.message).toBe('--json=true cannot also be provided when using --csv (see: mxcut audit --help)')
  })

  test('schema --json works like every other command (the schema is JSON either way)', async () => {
    const plain = await runCli(['schema'])
    const json = await runCli(['schema', '--json'])
    expect(json.code, json.stderr).toBe(0)
    expect(parseJson<{title: string}>(json).title).toBe('mxcut cutover config (version 1)')
    expect(JSON.parse(plain.stdout)).toEqual(JSON.parse(json.stdout))
  })
})
