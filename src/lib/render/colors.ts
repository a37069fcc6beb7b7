/**
 * The one place that decides whether output is coloured. Renderers receive a Chalk instance
 * instead of importing chalk's global, so tests pass `new Chalk({level: 0})` and compare exact
 * strings.
 */
import {Chalk, type ChalkInstance} from 'chalk'

export type {ChalkInstance}

export interface ColorChoice {
  /** `--color` / `--no-color`; undefined when the user said nothing. */
  flag?: boolean
  env?: NodeJS.ProcessEnv
  isTTY?: boolean
}

/** NO_COLOR (https://no-color.org) and a non-TTY stdout turn colour off; `--color` forces it on. */
export function colorLevel({flag, env = process.env, isTTY = Boolean(process.stdout.isTTY)}: ColorChoice): 0 | 1 | 2 | 3 {
  if (flag === false) return 0
  if (flag === true) return 1
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return 1
  return isTTY ? 1 : 0
}

export function makeChalk(choice: ColorChoice = {}): ChalkInstance {
  return new Chalk({level: colorLevel(choice)})
}

export const plain: ChalkInstance = new Chalk({level: 0})
