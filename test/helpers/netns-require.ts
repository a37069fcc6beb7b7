/**
 * Gate for tests that need root and network namespaces. Outside CI they skip with a loud
 * banner (a developer laptop without root still runs the rest of the suite); in CI
 * (`process.env.CI` set) they fail instead, because a skipped kernel test there would hide a
 * broken conformance run behind a green build.
 */
import {execFileSync} from 'node:child_process'

let probe: string | undefined | null = null

/** Why the kernel lab cannot run here, or undefined when it can. Probed once per process. */
export function labUnavailableReason(): string | undefined {
  if (probe !== null) return probe
  probe = undefined
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    probe = 'not running as root'
  } else {
    try {
      execFileSync('ip', ['netns', 'list'], {stdio: 'ignore'})
      execFileSync('iptables-nft-save', ['--version'], {stdio: 'ignore'})
    } catch (error) {
      probe = `ip netns / iptables unavailable (${(error as Error).message.split('\n')[0]})`
    }
  }
  return probe
}

/**
 * Call as `before(function () { requireRoot(this) })` or at the start of a test.
 * Skips (or, in CI, throws) when the lab cannot run.
 */
export function requireRoot(context: Mocha.Context): void {
  const reason = labUnavailableReason()
  if (reason === undefined) return
  // In a hook, name the suite rather than the hook.
  const runnable = context.test
  const isHook = (runnable as {type?: string} | undefined)?.type === 'hook'
  const title = (isHook ? runnable?.parent?.fullTitle() : runnable?.fullTitle()) || 'kernel test'
  if (process.env.CI) {
    throw new Error(`CI must run the kernel tests, but ${reason}: "${title}"`)
  }
  const bar = '!'.repeat(78)
  console.warn(`\n${bar}\n!! SKIPPED kernel test "${title}": ${reason}.\n!! Run as root with iproute2 and iptables to let the kernel referee kpx.\n${bar}\n`)
  context.skip()
}
