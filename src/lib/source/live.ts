/**
 * The one place where a command's flags become a live Snapshot: Cluster.connect →
 * captureSnapshot, with a progress line on stderr, debug pods deleted on Ctrl-C, and partial
 * failures reported as a warning plus exit code 6 (set now, effective when the process ends,
 * so the command still prints its result first).
 *
 * The process-facing effects (stderr, exit code, dying of a signal) come through `LiveIo` so
 * tests can observe them; the defaults touch `process` because a CLI must, and src/lib has no
 * other owner for them.
 */
import type {CaptureFailure, CaptureResult, Signal} from '../cluster/index.js'
import {ClusterAccessError, ExitCode} from '../errors.js'
import type {NodeCapture, Snapshot} from '../snapshot/types.js'
import {parseNodeRules, parseNodeRules6} from './parse-node.js'

/** The cluster flags (src/lib/flags.ts `clusterFlags`) plus node selection, as oclif parses them. */
export interface LiveFlags {
  kubeconfig?: string
  context?: string
  transport?: 'auto' | 'kube-proxy' | 'debug-pod'
  'allow-debug-pod'?: boolean
  'debug-image'?: string
  'kube-proxy-namespace'?: string
  'kube-proxy-selector'?: string
  concurrency?: number
  /** Seconds. */
  'node-timeout'?: number
  node?: string[]
  'all-nodes'?: boolean
  selector?: string
}

/** What captureLive needs from the command (a KpxCommand satisfies it). */
export interface LiveHost {
  jsonEnabled(): boolean
}

export interface LiveOptions {
  /** Read every node when none is named (trace: like its offline default). */
  defaultAllNodes?: boolean
  /** Keep failed nodes (with meta.error) in the snapshot: `kpx dump` records them. */
  keepFailedNodes?: boolean
  /**
   * Keep each node's rules text after it is parsed (`kpx dump` writes it). Otherwise the text
   * is released as soon as the node parses, so 1000 nodes are never all held as text at once.
   */
  keepText?: boolean
}

export interface LiveIo {
  stderr: {write(text: string): unknown; isTTY?: boolean}
  /** Sets the exit code the process ends with once the output is printed. */
  setExitCode(code: number): void
  /** Called after the debug-pod cleanups ran on SIGINT/SIGTERM; must end the process. */
  interrupted(signal: Signal, failures: string[]): void
}

const processIo = (): LiveIo => ({
  stderr: process.stderr,
  setExitCode(code) {
    process.exitCode = code
  },
  interrupted(signal, failures) {
    for (const failure of failures) process.stderr.write(`kpx: cleanup failed: ${failure}\n`)
    // Our `once` handlers are gone: re-raising makes the process die *of* the signal (the
    // shell's 130/143), which is what a caller like `timeout` or a CI runner expects.
    process.kill(process.pid, signal)
  },
})

/** Captures the cluster and every selected node; failed nodes are left out (see LiveOptions). */
export async function captureLive(flags: LiveFlags, host: LiveHost, opts: LiveOptions = {}, io: LiveIo = processIo()): Promise<Snapshot> {
  return (await captureLiveResult(flags, host, opts, io)).snapshot
}

/** captureLive, also returning the failures and warnings (for `kpx dump`'s summary). */
export async function captureLiveResult(flags: LiveFlags, host: LiveHost, opts: LiveOptions = {}, io: LiveIo = processIo()): Promise<CaptureResult> {
  // Loaded on demand: the Kubernetes client is heavy, and offline commands never need it.
  const {captureSnapshot, Cluster, CleanupRegistry, installSignalCleanup} = await import('../cluster/index.js')
  const client = await Cluster.connect({kubeconfig: flags.kubeconfig, context: flags.context})
  const registry = new CleanupRegistry()
  const uninstall = installSignalCleanup(registry, (signal, failures) => io.interrupted(signal, failures))
  const progress = progressLine(io, !host.jsonEnabled())
  let result: CaptureResult
  try {
    result = await captureSnapshot(client, {
      nodes: flags.node,
      allNodes: flags['all-nodes'] || (opts.defaultAllNodes === true && !flags.node?.length),
      selector: flags.selector,
      transport: flags.transport ?? 'auto',
      allowDebugPod: flags['allow-debug-pod'],
      debugImage: flags['debug-image'],
      kubeProxyNamespace: flags['kube-proxy-namespace'],
      kubeProxySelector: flags['kube-proxy-selector'],
      concurrency: flags.concurrency,
      nodeTimeoutMs: flags['node-timeout'] === undefined ? undefined : flags['node-timeout'] * 1000,
      registry,
      onProgress: progress.update,
      // Parse as each node arrives, while the others are still being read; a node whose rules
      // do not parse is left for the command, which reports it with file:line.
      onNodeRules: (capture) => preParse(capture, opts.keepText === true),
    })
  } finally {
    progress.done()
    uninstall()
    await registry.runAll()
  }
  return reportFailures(result, opts, io)
}

function preParse(capture: NodeCapture, keepText: boolean): void {
  try {
    if (capture.iptables) parseNodeRules(capture)
    parseNodeRules6(capture)
  } catch {
    delete capture.parsed
    return
  }
  // Analysis reads node.parsed from here on; an empty text marks "parsed, released" (the parsed
  // model keeps every rule's raw text, so nothing is lost).
  if (keepText) return
  if (capture.iptables) capture.iptables = {...capture.iptables, text: ''}
  if (capture.ip6tables) capture.ip6tables = {...capture.ip6tables, text: ''}
}

/** All nodes failed: nothing to analyse (exit 3). Some failed: warn, exit 6 at the end. */
function reportFailures(result: CaptureResult, opts: LiveOptions, io: LiveIo): CaptureResult {
  for (const warning of result.warnings) io.stderr.write(`kpx: warning: ${warning}\n`)
  const failed = new Set(result.failures.map((f) => f.node))
  if (failed.size === 0) return result
  const read = result.snapshot.nodes.filter((n) => !failed.has(n.name))
  if (read.length === 0) {
    const first = result.failures[0]
    const others = result.failures.length > 1 ? ` (and ${result.failures.length - 1} more node${result.failures.length > 2 ? 's' : ''})` : ''
    throw new ClusterAccessError(`${describeFailure(first)}${others}`, first.suggestions ?? [], first.code)
  }
  for (const failure of result.failures) io.stderr.write(`kpx: warning: ${describeFailure(failure)}\n`)
  io.stderr.write(`kpx: warning: partial result: ${failed.size} of ${failed.size + read.length} nodes could not be read (exit code ${ExitCode.partial})\n`)
  io.setExitCode(ExitCode.partial)
  return opts.keepFailedNodes ? result : {...result, snapshot: {...result.snapshot, nodes: read}}
}

function describeFailure(failure: CaptureFailure): string {
  return failure.error.includes(failure.node) ? failure.error : `node ${failure.node}: ${failure.error}`
}

const BAR_WIDTH = 24

/** `[=====      ] 3/10 nodes  k8s-1` redrawn in place; nothing when not a terminal or under --json. */
function progressLine(io: LiveIo, wanted: boolean): {update(done: number, total: number, node: string): void; done(): void} {
  const visible = wanted && io.stderr.isTTY === true
  let drawn = false
  return {
    update(done, total, node) {
      if (!visible) return
      const filled = Math.round((done / Math.max(total, 1)) * BAR_WIDTH)
      io.stderr.write(`\r\u001B[2K[${'='.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${done}/${total} nodes  ${node}`)
      drawn = true
    },
    done() {
      if (drawn) io.stderr.write('\r\u001B[2K')
    },
  }
}
