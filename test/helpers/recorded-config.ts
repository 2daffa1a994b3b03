import {recordedConfigSchema, type RecordedConfig} from '../../src/state/config.js'

/** The config a hand-written plan records: a Microsoft 365 target and the defaults, plus what the test sets. */
export function recordedConfig(extra: Record<string, unknown> = {}): RecordedConfig {
  return recordedConfigSchema.parse({version: 1, target: {profile: 'microsoft365'}, ...extra})
}
