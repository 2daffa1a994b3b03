#!/usr/bin/env node
// After tsc: dist/lib/oclif.js (the parts of @oclif/core mxcut uses) becomes
// one bundled file. Loading oclif file by file (over a hundred modules, each
// resolved and read) was the largest part of every command's start-up.
import {build} from 'esbuild'
import {fileURLToPath} from 'node:url'

const file = fileURLToPath(new URL('../dist/lib/oclif.js', import.meta.url))
await build({
  entryPoints: [file],
  outfile: file,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // oclif loads these only to run TypeScript sources in development (bin/dev.js does not use this file).
  external: ['typescript', 'ts-node', 'tsx'],
  // oclif's CommonJS modules call require(): give the bundle a real one.
  banner: {js: "import {createRequire as __mxcutRequire} from 'node:module'; const require = __mxcutRequire(import.meta.url);"},
})
