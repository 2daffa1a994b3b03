import type {ListrInquirerPromptAdapter as Adapter} from '@listr2/prompt-adapter-inquirer'
import {bold, cyan, dim, green, yellow} from '../lib/style.js'
import {formatClock, formatDuration} from '../lib/time.js'
import type {CheckpointAnswer, Prompter, RunnerUi} from './types.js'

/**
 * Someone can answer a prompt and watch a live countdown: stdin and stdout
 * are terminals and this is not CI (Angular CLI's isTTY() test).
 */
export function isInteractive(): boolean {
  const ci = process.env.CI
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false
  return Boolean(process.stdout.isTTY && process.stdin.isTTY)
}

/** Listr options shared by the countdown and the prompts: we handle Ctrl-C ourselves (it pauses). */
function listrOptions(interactive: boolean) {
  return {
    registerSignalListeners: false,
    exitOnError: true,
    renderer: 'default' as const,
    fallbackRenderer: 'simple' as const,
    fallbackRendererCondition: !interactive,
    rendererOptions: {collapseErrors: false},
  }
}

export function createUi(options: {interactive: boolean; write?: (text: string) => void}): RunnerUi {
  const write = options.write ?? ((t: string) => process.stdout.write(t))
  const line = (t: string) => write(t + '\n')
  return {
    step(step, index, total) {
      line(`${bold(`[${index + 1}/${total}] ${step.id}`)} ${step.title}`)
    },
    info: (t) => line(`  ${t}`),
    ok: (t) => line(`  ${green('✔')} ${t}`),
    warn: (t) => line(t.split('\n').map((l, i) => (i === 0 ? `  ${yellow('!')} ${l}` : `    ${l}`)).join('\n')),
    async countdown(title, due, now, waiting) {
      if (!options.interactive) {
        // Plain output (a log, CI): one line saying until when, one when it is over.
        line(`  ${title}: until ${formatClock(due)} (${formatDuration((due - now()) / 1000)}); Ctrl-C pauses`)
        await waiting
        return
      }
      // listr2 and inquirer load only when a person is there to see them (start-up of timers and pipes stays short).
      const {Listr} = await import('listr2')
      const list = new Listr(
        [
          {
            title,
            task: async (_ctx, task) => {
              const tick = () => {
                const left = Math.max(0, (due - now()) / 1000)
                task.title = `${title} ${dim('—')} ${cyan(formatDuration(Math.ceil(left)))} left, until ${formatClock(due)} ${dim('(Ctrl-C pauses)')}`
              }
              tick()
              const timer = setInterval(tick, 1000)
              try {
                await waiting
              } finally {
                clearInterval(timer)
                task.title = `${title} ${dim(`(until ${formatClock(due)})`)}`
              }
            },
          },
        ],
        listrOptions(true),
      )
      await list.run()
    },
  }
}

/** Checkpoint questions through inquirer's select, hosted by listr2 (never inside concurrent tasks). */
export function createPrompter(): Prompter {
  return {
    async choose(message, choices) {
      let answer: CheckpointAnswer = 'pause'
      const [{Listr}, {select}, adapter] = await Promise.all([import('listr2'), import('@inquirer/prompts'), import('@listr2/prompt-adapter-inquirer')])
      const ListrInquirerPromptAdapter: typeof Adapter = adapter.ListrInquirerPromptAdapter
      const list = new Listr(
        [
          {
            title: message,
            task: async (_ctx, task) => {
              answer = await task.prompt(ListrInquirerPromptAdapter).run(select<CheckpointAnswer>, {
                message,
                choices: choices.map((c) => ({value: c.value, name: c.name, description: c.description})),
              })
              task.title = `${message} ${dim(answer)}`
            },
          },
        ],
        listrOptions(true),
      )
      await list.run()
      return answer
    },
  }
}

/** A yes/no for the manual DNS host ("done editing the records?"). */
export async function confirmPrompt(message: string): Promise<boolean> {
  const answer = await createPrompter().choose(message, [
    {value: 'continue', name: 'Yes, the records are changed'},
    {value: 'abort', name: 'No, stop here'},
  ])
  return answer === 'continue'
}
