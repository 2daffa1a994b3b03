import type {StepHandler} from './types.js'

/** A wait step's time is kept by the loop (its waitFor rules, like any step's); once it starts, it is over. */
export const waitStep: StepHandler = async () => ({kind: 'done', summary: 'done'})
