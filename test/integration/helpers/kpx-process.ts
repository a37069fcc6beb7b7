/**
 * Runs the BUILT kpx (`node bin/run.js`, after `npx tsc -p tsconfig.json`) as a child process.
 * Asynchronous on purpose: the fake API server lives in the test process, and a *Sync spawn
 * would block the event loop it answers from.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const BIN = `${REPO}bin/run.js`

export interface KpxRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface KpxRunOptions {
  timeoutMs?: number
  env?: Record<string, string>
  /** Called once the child is spawned (e.g. to send it a signal later). */
  onSpawn?(child: ChildProcess): void
}

/** Throws a clear message when dist/ is missing, instead of a wall of "command not found". */
export function requireBuild(): void {
  if (!existsSync(`${REPO}dist/commands/trace.js`) || !existsSync(`${REPO}dist/commands/dump.js`)) {
    throw new Error('the e2e tests run the built CLI: run `npx tsc -p tsconfig.json` first')
  }
}

export function runKpx(args: string[], opts: KpxRunOptions = {}): Promise<KpxRun> {
  return new Promise((resolve, reject) => {
    // NO_COLOR and a non-TTY stderr: output is plain, and there is no progress bar.
    const child = spawn(process.execPath, [BIN, ...args], {cwd: REPO, env: {...process.env, NO_COLOR: '1', ...opts.env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kpx ${args.join(' ')} still running after ${opts.timeoutMs ?? 60_000} ms\nstderr: ${stderr}`))
    }, opts.timeoutMs ?? 60_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
    opts.onSpawn?.(child)
  })
}

/** A run's output for assertion messages. */
export const explainRun = (run: KpxRun): string => `exit ${run.code ?? run.signal}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`
