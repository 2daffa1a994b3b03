import {runPreflight} from '../preflight.js'
import type {StepHandler} from './types.js'

/** The pre-flight (and the staged strategy's probe): the audit again, live; errors no later step handles stop the plan. */
export const auditStep: StepHandler = async ({plan, sequence, index, deps, options}) => {
  const r = await runPreflight(plan, sequence, index, deps, options.resumeCommand)
  return r.ok ? {kind: 'done', summary: r.summary, evidence: r.evidence} : {kind: 'failed', message: r.message}
}
