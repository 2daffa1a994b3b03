#!/usr/bin/env node
// `npm run demo` on a fresh clone: the package builds on prepack (users of the
// published package run no build), so a checkout builds here, once, when dist/
// is missing or older than the sources.
import {execSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = `${root}oclif.manifest.json`

function newestSource(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = `${dir}/${entry.name}`
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

if (!existsSync(built) || !existsSync(`${root}dist/commands`) || newestSource(`${root}src`) > statSync(built).mtimeMs) {
  process.stderr.write('Building mxcut (once, after a checkout or a change)…\n')
  execSync('npm run build --silent', {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
}
