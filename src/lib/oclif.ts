/**
 * The parts of @oclif/core mxcut uses, from one module: the build bundles it
 * into a single file (bin/bundle.js), so a command starts without resolving
 * and reading oclif's hundred-odd files one by one.
 */
export {execute} from '@oclif/core/execute'
export {Command} from '@oclif/core/command'
export * as Flags from '@oclif/core/flags'
export * as Args from '@oclif/core/args'
