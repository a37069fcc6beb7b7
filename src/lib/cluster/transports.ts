/**
 * Choosing how to read one node: exec into its kube-proxy pod, or a debug pod when allowed.
 * `auto` tries kube-proxy first and falls back to a debug pod only with `allowDebugPod`
 * (creating privileged pods is something the user must opt into).
 */
import {ClusterAccessError, KpxError} from '../errors.js'
import type {Node, Pod} from '../snapshot/types.js'
import type {ClusterClient} from './client.js'
import type {CleanupRegistry} from './cleanup.js'
import {withDebugPod} from './debug-pod.js'
import {readNodeRules, type NodeRulesRead} from './node-rules.js'

export type TransportChoice = 'auto' | 'kube-proxy' | 'debug-pod'

export interface NodeReadOptions {
  transport: TransportChoice
  allowDebugPod?: boolean
  kubeProxyNamespace: string
  kubeProxySelector: string
  debugNamespace: string
  debugImage: string
  sessionId: string
  activeDeadlineSeconds?: number
  registry: CleanupRegistry
  /**
   * kube-proxy pods listed once for all nodes, by node name (one LIST instead of one per node:
   * 1000 nodes would otherwise cost the API server 1000 lists). Absent: look up per node.
   */
  kubeProxyPods?: Map<string, Pod>
  /** Absolute time (ms since epoch) by which this node must be done. */
  deadline: number
  signal?: AbortSignal
}

export interface NodeReadResult extends NodeRulesRead {
  transport: 'kube-proxy-exec' | 'debug-pod'
  kubeProxyPod?: Pod
}

const remaining = (deadline: number) => Math.max(1, deadline - Date.now())

async function viaKubeProxy(client: ClusterClient, node: Node, opts: NodeReadOptions): Promise<NodeReadResult> {
  const name = node.metadata.name
  const pod = opts.kubeProxyPods
    ? opts.kubeProxyPods.get(name)
    : await client.findKubeProxyPod(name, {namespace: opts.kubeProxyNamespace, selector: opts.kubeProxySelector})
  if (!pod) {
    throw new ClusterAccessError(`no kube-proxy pod on node ${name} (namespace ${opts.kubeProxyNamespace}, selector ${opts.kubeProxySelector})`, [
      'kube-proxy may run outside Kubernetes here (k3s, systemd), or in another namespace/with other labels',
    ], 'no-kube-proxy-pod')
  }
  const ns = pod.metadata.namespace ?? opts.kubeProxyNamespace
  const container = pod.spec?.containers?.find((c) => c.name === 'kube-proxy')?.name ?? pod.spec?.containers?.[0]?.name ?? ''
  const read = await readNodeRules(
    (argv) => client.exec(ns, pod.metadata.name, container, argv, {timeoutMs: remaining(opts.deadline), signal: opts.signal}),
    node,
  )
  return {...read, transport: 'kube-proxy-exec', kubeProxyPod: pod}
}

async function viaDebugPod(client: ClusterClient, node: Node, opts: NodeReadOptions): Promise<NodeReadResult> {
  const podOpts = {
    namespace: opts.debugNamespace,
    image: opts.debugImage,
    sessionId: opts.sessionId,
    activeDeadlineSeconds: opts.activeDeadlineSeconds,
    startTimeoutMs: remaining(opts.deadline),
    execTimeoutMs: remaining(opts.deadline),
    registry: opts.registry,
    signal: opts.signal,
  }
  const read = await withDebugPod(client, node.metadata.name, podOpts, (run) => readNodeRules(run, node))
  return {...read, transport: 'debug-pod'}
}

/** Reads one node's rules with the chosen transport; throws a KpxError naming the node on failure. */
export async function readNode(client: ClusterClient, node: Node, opts: NodeReadOptions): Promise<NodeReadResult> {
  if (opts.transport === 'debug-pod') return viaDebugPod(client, node, opts)
  try {
    return await viaKubeProxy(client, node, opts)
  } catch (error) {
    const aborted = opts.signal?.aborted || opts.registry.closing || Date.now() >= opts.deadline
    if (opts.transport === 'kube-proxy' || !opts.allowDebugPod || aborted) throw withDebugPodHint(error, opts)
    const result = await viaDebugPod(client, node, opts)
    result.warnings.unshift(`kube-proxy exec failed (${(error as Error).message}); read the rules through a debug pod`)
    return result
  }
}

function withDebugPodHint(error: unknown, opts: NodeReadOptions): unknown {
  if (!(error instanceof KpxError) || opts.transport !== 'auto' || opts.allowDebugPod) return error
  const hint = 'or let kpx start a short-lived debug pod on the node: --transport debug-pod'
  return error.suggestions.includes(hint) ? error : new ClusterAccessError(error.message, [...error.suggestions, hint], error.code, error)
}
