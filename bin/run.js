#!/usr/bin/env node
// `mxcut --version` is answered here, before oclif and the commands load (a
// script checking the version should not pay for the whole CLI's start-up);
// the line is the one oclif prints.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // oclif from the bundle the commands use too (bin/bundle.js): one file, one copy of its classes.
  const {execute} = await import('../dist/lib/oclif.js')
  await execute({dir: import.meta.url})
}
