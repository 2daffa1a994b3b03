import type {PlanState, Step} from '../../src/state/schema.js'
import {recordedConfig} from '../helpers/recorded-config.js'

/**
 * A replace-strategy plan written by hand, shaped as the planner writes it,
 * for unit tests that need no DNS. Lab tests make their plans with the
 * real planner where it applies.
 */
export function handPlan(overrides: Partial<PlanState> = {}): PlanState {
  const mxOld = [{priority: 10, exchange: 'mail.contoso.test'}]
  const mxNew = [{priority: 0, exchange: 'contoso-test.mail.protection.outlook.test'}]
  return {
    version: 1,
    id: 'contoso.test-1',
    domain: 'contoso.test',
    zone: 'contoso.test',
    createdAt: '2025-01-01T00:00:00.000Z',
    strategy: 'replace',
    observed: {
      mx: {ttl: 8, records: mxOld},
      soa: null,
      nameservers: [],
      rrsets: [],
      at: '2025-01-01T00:00:00.000Z',
    },
    config: recordedConfig({ttl: {lowered: 2, final: 8, margin: 1}}),
    findings: [],
    steps: [
      {id: 'preflight', kind: 'audit', title: 'Pre-flight audit', status: 'pending'},
      {
        id: 'lower-ttl',
        kind: 'dns-change',
        title: 'Lower the MX TTL',
        status: 'pending',
        changes: [{name: 'contoso.test', type: 'MX', before: {name: 'contoso.test', type: 'MX', ttl: 8, records: mxOld}, after: {name: 'contoso.test', type: 'MX', ttl: 2, records: mxOld}}],
      },
      {id: 'wait-old-ttl', kind: 'wait', title: 'Wait out the old TTL', status: 'pending', waitFor: [{after: 'lower-ttl', seconds: 9, reason: 'old TTL 8 s + margin 1 s'}]},
      {id: 'confirm-swap', kind: 'checkpoint', title: 'Confirm the swap', status: 'pending'},
      {
        id: 'swap-mx',
        kind: 'dns-change',
        title: 'Swap the MX',
        status: 'pending',
        changes: [{name: 'contoso.test', type: 'MX', before: {name: 'contoso.test', type: 'MX', ttl: 2, records: mxOld}, after: {name: 'contoso.test', type: 'MX', ttl: 2, records: mxNew}}],
      },
      {id: 'verify-propagation', kind: 'verify', title: 'Verify propagation', status: 'pending', expectMx: mxNew},
      {id: 'confirm-mail-flow', kind: 'checkpoint', title: 'Confirm mail flow', status: 'pending'},
      {
        id: 'restore-ttl',
        kind: 'dns-change',
        title: 'Restore the MX TTL',
        status: 'pending',
        changes: [{name: 'contoso.test', type: 'MX', before: {name: 'contoso.test', type: 'MX', ttl: 2, records: mxNew}, after: {name: 'contoso.test', type: 'MX', ttl: 8, records: mxNew}}],
      },
    ],
    rollbackPlan: {
      procedures: [
        {from: 'lower-ttl', title: 'After lower-ttl', steps: [restoreTtl(mx(mxOld, 2), mx(mxOld, 8))]},
        {from: 'swap-mx', title: 'After swap-mx', steps: [restoreMx(mx(mxNew, 2), mx(mxOld, 2)), verifyOriginal(mxOld), restoreTtl(mx(mxOld, 2), mx(mxOld, 8))]},
        {from: 'restore-ttl', title: 'After restore-ttl', steps: [restoreMx(mx(mxNew, 8), mx(mxOld, 2)), verifyOriginal(mxOld), restoreTtl(mx(mxOld, 2), mx(mxOld, 8))]},
      ],
      optional: [],
    },
    ...overrides,
  }
}

type Mx = Array<{priority: number; exchange: string}>
const mx = (records: Mx, ttl: number) => ({name: 'contoso.test', type: 'MX', ttl, records})
const restoreMx = (before: ReturnType<typeof mx>, after: ReturnType<typeof mx>): Step => ({id: 'rollback-mx', kind: 'dns-change', title: 'Restore the original MX RRset at the lowered TTL', status: 'pending', changes: [{name: 'contoso.test', type: 'MX', before, after}]})
const verifyOriginal = (records: Mx): Step => ({id: 'verify-rollback', kind: 'verify', title: 'Verify the original MX everywhere', status: 'pending', expectMx: records})
const restoreTtl = (before: ReturnType<typeof mx>, after: ReturnType<typeof mx>): Step => ({id: 'rollback-ttl', kind: 'dns-change', title: 'Restore the MX TTL', status: 'pending', changes: [{name: 'contoso.test', type: 'MX', before, after}]})
