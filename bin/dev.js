#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the TypeScript sources directly, no build: tsx compiles them on the fly
// and oclif is pointed at the source commands. The development mode of oclif
// is not used: it registers tsx a second time, which fails with tsx 4.2x.
// The manifest is ignored too: it describes the build, which may be stale.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {execute, Plugin} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './src/commands'
pjson.oclif.hooks = Object.fromEntries(Object.entries(pjson.oclif.hooks ?? {}).map(([k, v]) => [k, v.replace('./dist/', './src/').replace(/\.js$/, '.ts')]))
const plugin = new Plugin({root, pjson, isRoot: true, ignoreManifest: true})
await plugin.load()

await execute({dir: import.meta.url, loadOptions: {root, pjson, plugins: new Map([[plugin.name, plugin]])}})
