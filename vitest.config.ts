import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Lab tests start real BIND and Unbound processes: give them time, and keep
    // the worker count at the machine's two cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', ['json', {outputFile: '.vitest-results.json'}]],
  },
})
