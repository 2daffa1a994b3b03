import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {packageRoot} from './helpers/cli.js'

/** A copy of the checkout without dist/: building there never disturbs tests running the CLI from this one's dist/. */
function freshCheckout(): string {
  const clone = mkdtempSync(join(tmpdir(), 'mxcut-clone-'))
  for (const p of ['bin', 'src', 'plans', 'package.json', 'tsconfig.json', 'README.md', 'LICENSE']) cpSync(join(packageRoot, p), join(clone, p), {recursive: true})
  symlinkSync(join(packageRoot, 'node_modules'), join(clone, 'node_modules'))
  return clone
}

/** The package as users install it, and a checkout as contributors clone it. */
test('the packed tarball is built on prepack and runs no script when installed', {timeout: 120_000}, () => {
  const dest = mkdtempSync(join(tmpdir(), 'mxcut-pack-'))
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], {cwd: freshCheckout(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  const [pack] = JSON.parse(out.slice(out.indexOf('['))) as Array<{filename: string; files: Array<{path: string}>}>
  const files = pack.files.map((f) => f.path)
  expect(files).toEqual(expect.arrayContaining(['bin/run.js', 'dist/commands/status.js', 'dist/hooks/command-not-found.js', 'oclif.manifest.json', 'plans/examples/tailspin-toys.zone']))
  execFileSync('tar', ['xzf', join(dest, pack.filename), '-C', dest])
  const pjson = JSON.parse(readFileSync(join(dest, 'package', 'package.json'), 'utf8')) as {scripts: Record<string, string>}
  // npm runs these when the tarball is installed (npm install -g): none may need the dev toolchain.
  for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) expect(pjson.scripts[hook], hook).toBeUndefined()
  expect(pjson.scripts.prepack).toBe('npm run build')
})

test('a fresh checkout (no dist/) builds itself for npm run demo', {timeout: 120_000}, () => {
  const clone = freshCheckout()
  expect(existsSync(join(clone, 'dist'))).toBe(false)
  execFileSync(process.execPath, ['bin/ensure-build.js'], {cwd: clone, stdio: 'ignore'})
  expect(existsSync(join(clone, 'dist', 'commands', 'demo.js'))).toBe(true)
  expect(execFileSync(process.execPath, ['bin/run.js', '--version'], {cwd: clone, encoding: 'utf8'})).toMatch(/^mxcut\/\d+\.\d+\.\d+ /)
})
