/**
 * One error type for the whole library. Commands let these propagate; the oclif error handler
 * (see src/lib/command-base.ts) prints `message` on one line, the suggestions below it, and exits
 * with `exitCode`. The codes are public API and listed in README.md.
 */
export const ExitCode = {
  ok: 0,
  /** `kpx check`: findings at or above --fail-on. */
  findings: 1,
  /** Bad flags, bad arguments, malformed target (oclif's own usage errors use 2 as well). */
  usage: 2,
  /** Cluster or node unreachable: no kubeconfig, server down, 401, RBAC denial, exec failure. */
  cluster: 3,
  /** Input rules or snapshot unreadable or unparsable. */
  input: 4,
  /** The target (Service, IP:port, node) is not in the rules or the cluster. */
  notFound: 5,
  /** Some nodes could not be read; the result covers the others. */
  partial: 6,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class KpxError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly suggestions: string[]

  constructor(message: string, opts: {code: string; exitCode: ExitCodeValue; suggestions?: string[]; cause?: unknown}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.code = opts.code
    this.exitCode = opts.exitCode
    this.suggestions = opts.suggestions ?? []
  }
}

/** Bad user input that the flag layer could not catch (e.g. a target that parses but makes no sense). */
export class UsageError extends KpxError {
  constructor(message: string, suggestions: string[] = [], code = 'usage') {
    super(message, {code, exitCode: ExitCode.usage, suggestions})
  }
}

/** Rules or snapshot could not be read or parsed. `file:line` is part of the message. */
export class InputError extends KpxError {
  constructor(message: string, suggestions: string[] = [], code = 'bad-input') {
    super(message, {code, exitCode: ExitCode.input, suggestions})
  }
}

export class NotFoundError extends KpxError {
  constructor(message: string, suggestions: string[] = [], code = 'not-found') {
    super(message, {code, exitCode: ExitCode.notFound, suggestions})
  }
}

export class ClusterAccessError extends KpxError {
  constructor(message: string, suggestions: string[] = [], code = 'cluster-access', cause?: unknown) {
    super(message, {code, exitCode: ExitCode.cluster, suggestions, cause})
  }
}
