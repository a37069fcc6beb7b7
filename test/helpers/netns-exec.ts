/**
 * Running commands for the network-namespace lab: in the host namespace or inside a named one
 * (`ip netns exec`), with optional stdin, failing with the command's stderr.
 */
import {execFileSync, spawn} from 'node:child_process'

export interface RunOptions {
  /** Run inside this network namespace (via `ip netns exec`). */
  netns?: string
  /** Written to the command's stdin. */
  input?: string
  /** Resolve instead of rejecting on a non-zero exit. */
  allowFailure?: boolean
}

export interface RunResult {
  stdout: string
  stderr: string
  status: number
}

export class CommandFailed extends Error {
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    super(`\`${argv.join(' ')}\` exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`)
  }
}

function withNetns(argv: string[], netns?: string): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv
}

/** Runs argv (no shell), collecting stdout and stderr; rejects with CommandFailed on failure. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = withNetns(argv, opts.netns)
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), {stdio: ['pipe', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const result = {stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status: code ?? -1}
      if (result.status !== 0 && !opts.allowFailure) reject(new CommandFailed(full, result))
      else resolve(result)
    })
    // A command that does not read stdin may close it early; that is not our failure.
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** Runs several commands in order; stops at the first failure. */
export async function runAll(commands: string[][], opts: RunOptions = {}): Promise<void> {
  for (const argv of commands) await run(argv, opts)
}

/** Synchronous best-effort run, for process-exit cleanup where promises no longer run. */
export function runSyncQuietly(argv: string[]): void {
  try {
    execFileSync(argv[0], argv.slice(1), {stdio: 'ignore'})
  } catch {
    // cleanup is best effort: the namespace may already be gone
  }
}
