/**
 * Base class of every kpx command: one place that turns errors into a one-line message and the
 * documented exit code (README "Exit codes"), in text and in --json mode.
 */
// Subpath imports (@oclif/core/command, /flags, …): the package index also loads help, ux and
// semver, which a command never needs, and start-up time matters (src/bundle/main.ts).
import {Command} from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'
import {ux} from '@oclif/core/ux'

import {ExitCode, type ExitCodeValue, KpxError} from './errors.js'

/** Exit code for a bug in kpx itself: outside the documented range on purpose. */
export const INTERNAL_ERROR_EXIT = 70

export interface ErrorJson {
  error: {code: string; message: string; exitCode: number; suggestions: string[]}
}

export abstract class KpxCommand extends Command {
  /**
   * oclif pretty-prints --json through a tokenizer so that a JSON colour theme can apply; that
   * pass costs ~0.25 s per MB of output (`rules --json` of a big node prints tens of MB) and, with
   * no theme for JSON, gives back its input unchanged. So print that same text directly then.
   */
  override logJson(json: unknown): void {
    if (this.config.theme?.json) return super.logJson(json)
    let text: string
    try {
      text = JSON.stringify(json, null, 2)
    } catch {
      return super.logJson(json) // a cycle: oclif prints "[Circular ~]" where JSON.stringify throws
    }
    ux.stdout(text)
  }

  protected override async catch(err: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    // this.exit(n): the output is already written; leave with its code and print nothing more.
    if (err instanceof Errors.ExitError) throw err
    // oclif's own usage errors: its format in text mode, ours (exit 2) under --json.
    if (err instanceof Errors.CLIError && !(err instanceof KpxError)) {
      if (!this.jsonEnabled()) return super.catch(err)
      err = new KpxError(err.message.replace(/\s*See more help with --help$/, ''), {code: 'usage', exitCode: (err.oclif?.exit ?? ExitCode.usage) as ExitCodeValue})
    }
    const kpx =
      err instanceof KpxError
        ? err
        : new KpxError(`internal error: ${err.message} (set DEBUG=kpx* for the stack; please report it)`, {
            code: 'internal',
            exitCode: INTERNAL_ERROR_EXIT as never,
          })
    if (!(err instanceof KpxError)) this.debug(err.stack)
    if (this.jsonEnabled()) {
      const json: ErrorJson = {
        error: {code: kpx.code, message: kpx.message, exitCode: kpx.exitCode, suggestions: kpx.suggestions},
      }
      this.logJson(json)
    } else {
      process.stderr.write(formatError(kpx))
    }
    this.exit(kpx.exitCode)
  }
}

/** `kpx: <message>` on one line, then one `  try: ...` line per suggestion. */
export function formatError(err: KpxError): string {
  const oneLine = err.message.replace(/\s*\n\s*/g, ' ')
  return [`kpx: ${oneLine}`, ...err.suggestions.map((s) => `  try: ${s}`)].join('\n') + '\n'
}

export {ExitCode}
