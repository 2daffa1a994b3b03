import {auditStep} from './audit.js'
import {checkpointStep} from './checkpoint.js'
import {dnsChangeStep} from './dns-change.js'
import {probeStep} from './probe.js'
import type {StepTable} from './types.js'
import {verifyStep} from './verify.js'
import {waitStep} from './wait.js'

/** The handler of every step kind, shared by the real runner, the sandbox and the rollback. */
export const STEP_HANDLERS: StepTable = {
  audit: auditStep,
  'dns-change': dnsChangeStep,
  wait: waitStep,
  checkpoint: checkpointStep,
  verify: verifyStep,
  'smtp-probe': probeStep,
}
