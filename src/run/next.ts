import type {PlanState} from '../state/schema.js'

/**
 * What a person types next for a plan, the one answer status, run, resume and
 * rollback all give: a rollback that started and did not finish is finished
 * by mxcut rollback (it knows which stored procedure it was running); any
 * other unfinished plan continues with mxcut resume.
 */
export function rollbackCommand(resumeCommand: string): string {
  return resumeCommand.replace(/ (resume|run) /, ' rollback ')
}

export function continueCommand(plan: PlanState, resumeCommand: string): string {
  return plan.rollback && plan.rollback.status !== 'done' ? rollbackCommand(resumeCommand) : resumeCommand
}
