import {z} from 'zod'
import {recordedConfigSchema, recordedDkimSchema} from './config.js'
import {mxDataSchema, rrsetChangeSchema, rrsetSchema, soaDataSchema} from './records.js'

/**
 * The plan state file: the single source of truth for one domain's cutover
 * (DESIGN.md "Persistence"). Validated on every read, so a hand-edited file
 * that no longer fits gives a clear error instead of a crash.
 */

export const stepKindSchema = z.enum(['audit', 'dns-change', 'wait', 'checkpoint', 'verify', 'smtp-probe'])
export const stepStatusSchema = z.enum(['pending', 'running', 'done', 'failed', 'skipped'])

/** A wait lasts `seconds` after step `after` finished; a wait step holds one or more, the latest wins. */
export const waitRuleSchema = z.strictObject({
  after: z.string(),
  seconds: z.number().int().min(0),
  reason: z.string(),
})

/** What an smtp-probe step probes: the MX hosts of one side, and what a host that refuses the domain does to the run. */
export const probeSpecSchema = z.strictObject({
  role: z.enum(['target', 'source']),
  hosts: z.array(mxDataSchema).min(1),
  /** stop: a refusal fails the step (the target, before the swap); warn: it is said loudly and the run goes on (the source, after the swap: stopping would not help). */
  onRefusal: z.enum(['stop', 'warn']),
})

export const stepSchema = z.strictObject({
  id: z.string().min(1),
  kind: stepKindSchema,
  title: z.string(),
  /** Why the step exists and how its timing was computed: shown in the review. */
  why: z.string().optional(),
  status: stepStatusSchema,
  optional: z.boolean().optional(),
  /** ISO time before which the step must not start; set by the runner once the wait rules can be computed. */
  notBefore: z.string().optional(),
  /** Estimate made at planning time if everything runs as soon as allowed (for the review only). */
  estimatedStart: z.string().optional(),
  waitFor: z.array(waitRuleSchema).optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  changes: z.array(rrsetChangeSchema).optional(),
  /** For verify steps: the MX RRset expected everywhere. */
  expectMx: z.array(mxDataSchema).optional(),
  /** For smtp-probe steps: the hosts probed and what a refusal does. */
  probe: probeSpecSchema.optional(),
  /** The step never starts before the decommission-safe time (src/state/decommission.ts), known once the swap is done. */
  afterDecommissionSafe: z.boolean().optional(),
  /** Audit finding codes this step takes care of (the planner's `handled`): at the pre-flight they do not stop the plan while the step is still to come. */
  handles: z.array(z.string()).optional(),
  /** Observations recorded when the step ran (serials seen, resolver states, findings). */
  evidence: z.unknown().optional(),
  error: z.string().optional(),
})

export const observedSchema = z.strictObject({
  mx: z.strictObject({ttl: z.number().int().min(0).nullable(), records: z.array(mxDataSchema)}),
  soa: soaDataSchema.extend({ttl: z.number().int().min(0)}).nullable(),
  nameservers: z.array(
    z.strictObject({name: z.string(), address: z.string(), port: z.number().int(), serial: z.number().int().nullable()}),
  ),
  /** Every RRset the plan will touch, as the authoritative servers served it at planning time. */
  rrsets: z.array(z.strictObject({name: z.string(), type: z.string(), rrset: rrsetSchema.nullable()})).default([]),
  at: z.string(),
})

/**
 * How the pre-flight step audits the domain again at run time: with the
 * target and probes the plan's own audit used. Plans written before this
 * field existed are checked against the findings recorded at planning time.
 */
export const preflightSchema = z.strictObject({
  /** False when the plan was made without the audit (mxcut plan --no-audit): the pre-flight then checks the authoritative servers only. */
  audit: z.boolean(),
  target: z.strictObject({
    profile: z.string(),
    mx: z.array(mxDataSchema).optional(),
    verification: z.string().optional(),
    spfInclude: z.string().optional(),
    /** The DKIM records the plan publishes (false: DKIM left out), the profile's parameter and autodiscover choice. */
    dkim: z.union([z.literal(false), z.array(recordedDkimSchema)]).optional(),
    region: z.string().optional(),
    autodiscover: z.boolean().optional(),
  }),
  /** The source profile as configured; null: detected from the MX. */
  source: z.string().nullable(),
  smtp: z.boolean(),
  /** MTA-STS policy port when it is not 443 (tests). */
  httpsPort: z.number().int().optional(),
})

/**
 * The rollback, planned with the cutover and stored in the plan: one
 * procedure per point the cutover may have reached (the forward step after
 * which it applies), made of the same step objects as the forward plan, so
 * the review shows and `mxcut rollback` runs exactly these.
 */
export const rollbackProcedureSchema = z.strictObject({
  /** The forward step this procedure undoes from: it applies once that step may have changed DNS. */
  from: z.string().min(1),
  title: z.string(),
  steps: z.array(stepSchema).min(1),
})

export const rollbackPlanSchema = z.strictObject({
  procedures: z.array(rollbackProcedureSchema),
  /** Shown in the review, never run by mxcut rollback: harmless to keep, undone by hand if the move is abandoned. */
  optional: z.array(stepSchema).default([]),
})

export const planStateSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().min(1),
  domain: z.string().min(1),
  zone: z.string().min(1),
  createdAt: z.string(),
  strategy: z.enum(['replace', 'staged']),
  /** Path of the config the plan was made from (for messages only). */
  configPath: z.string().optional(),
  observed: observedSchema,
  /** The config as loaded, secrets left as their env:/file: references. */
  config: recordedConfigSchema,
  findings: z
    .array(z.strictObject({code: z.string(), severity: z.enum(['error', 'warning', 'info']), message: z.string(), subject: z.string()}))
    .default([]),
  preflight: preflightSchema.optional(),
  steps: z.array(stepSchema).min(1),
  /** Absent only in plans written before rollback procedures were stored. */
  rollbackPlan: rollbackPlanSchema.optional(),
  /** Set when a person paused the run; cleared by resume. */
  pausedAt: z.string().optional(),
  /** sha256 of the canonical steps, changes and rollback (src/state/digest.ts), written by mxcut plan and checked at every load. */
  digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Drift that resume found among finished steps: kept so status tells it; cleared when a later check finds none. */
  drift: z.strictObject({step: z.string(), detectedAt: z.string(), message: z.string()}).optional(),
  /** Who paused it: a person's pause holds until a person resumes (timers with --if-due leave it alone). */
  pausedBy: z.enum(['person', 'until', 'no-terminal']).optional(),
  rollback: z
    .strictObject({
      status: z.enum(['running', 'done', 'failed']),
      startedAt: z.string(),
      finishedAt: z.string().optional(),
      error: z.string().optional(),
      /** The procedure being run (its `from` step), once chosen. */
      procedure: z.string().optional(),
    })
    .optional(),
})

export type {MxRecord, RRsetChange, RRsetJson} from './records.js'
export type {RecordedConfig} from './config.js'
export type StepKind = z.infer<typeof stepKindSchema>
export type ProbeSpec = z.infer<typeof probeSpecSchema>
export type StepStatus = z.infer<typeof stepStatusSchema>
export type WaitRule = z.infer<typeof waitRuleSchema>
export type Step = z.infer<typeof stepSchema>
export type Observed = z.infer<typeof observedSchema>
export type PreflightSettings = z.infer<typeof preflightSchema>
export type PlanState = z.infer<typeof planStateSchema>
export type RollbackProcedure = z.infer<typeof rollbackProcedureSchema>
export type RollbackPlan = z.infer<typeof rollbackPlanSchema>
