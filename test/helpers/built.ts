/** Helpers for tests of the built output (dist/), as the commands run it. */
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {REPO} from '../lib/checks/helpers.js'

/** The URL of a built module, e.g. built('lib/snapshot/cluster-thread.js'). */
export const built = (path: string): string => pathToFileURL(join(REPO, 'dist', path)).href

/** The error message of a promise that should reject, or undefined when it resolves. */
export async function rejectionMessage(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
