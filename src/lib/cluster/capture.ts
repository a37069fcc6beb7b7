/**
 * Live capture: the cluster objects plus every selected node's rules, as a Snapshot — the
 * same thing `--snapshot DIR` reads, so live and offline analysis are one code path.
 *
 * Many nodes: a bounded worker pool (16 by default: 1000 nodes at ~2 s each is ~2 minutes
 * without hammering the API server's exec handling), a deadline per node, and a failing node
 * is recorded (failures + its meta.error) instead of failing the capture. Memory: with
 * `onNodeRules` the caller parses each node as it arrives and `keepText: false` drops the text.
 */
import {ClusterAccessError, KpxError, NotFoundError, UsageError} from '../errors.js'
import type {ClusterObjects, Node, NodeCapture, NodeMeta, Pod, Snapshot} from '../snapshot/types.js'
import type {ClusterClient, KubeProxyConfig} from './client.js'
import {CleanupRegistry} from './cleanup.js'
import {FALLBACK_DEBUG_IMAGE, newSessionId} from './debug-pod.js'
import {pickKubeProxyPod} from './k8s-client.js'
import {nodeStatusAddresses} from './node-rules.js'
import {mapWithConcurrency} from './pool.js'
import {readNode, type NodeReadResult, type TransportChoice} from './transports.js'

export interface CaptureOptions {
  nodes?: string[]
  allNodes?: boolean
  /** A label selector over Nodes. */
  selector?: string
  transport: TransportChoice
  /** Lets `auto` fall back to a debug pod. */
  allowDebugPod?: boolean
  concurrency?: number
  nodeTimeoutMs?: number
  /** Restricts the API objects to one namespace; by default all (a node's rules cover every namespace). */
  namespace?: string
  allNamespaces?: boolean
  kubeProxyNamespace?: string
  kubeProxySelector?: string
  debugNamespace?: string
  debugImage?: string
  activeDeadlineSeconds?: number
  /** Where debug-pod deletions are registered; the command installs signal handlers on it. */
  registry?: CleanupRegistry
  sessionId?: string
  signal?: AbortSignal
  onProgress?(done: number, total: number, node: string, error?: KpxError): void
  /** Called as each node arrives (e.g. to parse it into capture.parsed). */
  onNodeRules?(capture: NodeCapture): void | Promise<void>
  /** Keep the rules text in the snapshot (default true). False needs onNodeRules to be useful. */
  keepText?: boolean
}

export interface CaptureFailure {
  node: string
  error: string
  code: string
  suggestions?: string[]
}

export interface CaptureResult {
  snapshot: Snapshot
  failures: CaptureFailure[]
  /** Non-fatal problems outside any one node (e.g. kube-proxy ConfigMap not readable). */
  warnings: string[]
}

export const DEFAULT_CONCURRENCY = 16
export const DEFAULT_NODE_TIMEOUT_MS = 60_000

/** Captures a live Snapshot; throws only when nothing useful can be captured (API unreadable, no nodes). */
export async function captureSnapshot(client: ClusterClient, opts: CaptureOptions): Promise<CaptureResult> {
  const warnings: string[] = []
  const failures: CaptureFailure[] = []
  const allNodes = await client.listNodes(opts.selector ? {labelSelector: opts.selector} : {})
  const targets = selectNodes(allNodes, opts, failures)
  const ns = opts.allNamespaces ? undefined : opts.namespace
  const [services, endpointSlices, pods, proxyConfig] = await Promise.all([
    client.listServices(ns),
    client.listEndpointSlices(ns),
    client.listPods(ns),
    client.getKubeProxyConfig({namespace: opts.kubeProxyNamespace}).catch((error: Error) => {
      warnings.push(`kube-proxy ConfigMap not read: ${error.message}`)
      return undefined
    }),
  ])
  const cluster: ClusterObjects = {nodes: allNodes, services, endpointSlices, pods, configMaps: proxyConfig ? [proxyConfig.configMap] : []}
  const readOpts = await nodeReadDefaults(client, opts)
  let done = 0
  const captures = await mapWithConcurrency(targets, opts.concurrency ?? DEFAULT_CONCURRENCY, async (node) => {
    const {capture, error} = await captureNode(client, node, proxyConfig, {...opts, ...readOpts})
    if (error) failures.push({node: node.metadata.name, error: error.message, code: error.code, ...(error.suggestions.length > 0 ? {suggestions: error.suggestions} : {})})
    else await deliver(capture, opts)
    done++
    opts.onProgress?.(done, targets.length, node.metadata.name, error)
    return capture
  })
  return {snapshot: {origin: 'live', cluster, nodes: captures}, failures, warnings}
}

async function deliver(capture: NodeCapture, opts: CaptureOptions): Promise<void> {
  await opts.onNodeRules?.(capture)
  if (opts.keepText === false) {
    delete capture.iptables
    delete capture.ip6tables
  }
}

/** --node names (unknown ones become failures), --all-nodes / --selector, or the only node there is. */
export function selectNodes(nodes: Node[], opts: Pick<CaptureOptions, 'nodes' | 'allNodes' | 'selector'>, failures: CaptureFailure[]): Node[] {
  if (opts.nodes && opts.nodes.length > 0) {
    const byName = new Map(nodes.map((n) => [n.metadata.name, n]))
    const unknown = opts.nodes.filter((n) => !byName.has(n))
    if (unknown.length === opts.nodes.length) {
      throw new NotFoundError(`node${unknown.length > 1 ? 's' : ''} not found: ${unknown.join(', ')}`, [`nodes in the cluster: ${summarise(nodes)}`], 'node-not-found')
    }
    for (const node of unknown) failures.push({node, error: `node ${node} not found`, code: 'node-not-found'})
    return [...new Set(opts.nodes)].flatMap((n) => byName.get(n) ?? [])
  }
  if (nodes.length === 0) throw new NotFoundError(opts.selector ? `no node matches selector ${opts.selector}` : 'the cluster has no nodes', [], 'node-not-found')
  if (opts.allNodes || opts.selector || nodes.length === 1) return nodes
  throw new UsageError(`the cluster has ${nodes.length} nodes: choose with --node NAME, --all-nodes or --selector`, [`nodes: ${summarise(nodes)}`], 'nodes-required')
}

function summarise(nodes: Node[]): string {
  const names = nodes.map((n) => n.metadata.name)
  return names.length > 10 ? `${names.slice(0, 10).join(', ')} … (${names.length})` : names.join(', ') || '(none)'
}

type ResolvedReadDefaults = Required<Pick<CaptureOptions, 'kubeProxyNamespace' | 'kubeProxySelector' | 'debugNamespace' | 'debugImage' | 'sessionId' | 'registry' | 'nodeTimeoutMs'>> & {
  kubeProxyPods?: Map<string, Pod>
}

async function nodeReadDefaults(client: ClusterClient, opts: CaptureOptions): Promise<ResolvedReadDefaults> {
  const mayUseDebugPod = opts.transport === 'debug-pod' || (opts.transport === 'auto' && opts.allowDebugPod === true)
  const kubeProxyNamespace = opts.kubeProxyNamespace ?? 'kube-system'
  // The kube-proxy image is already on every node (no pull, works air-gapped).
  const borrowed = !opts.debugImage && mayUseDebugPod ? await client.getKubeProxyImage({namespace: kubeProxyNamespace}).catch(() => undefined) : undefined
  const kubeProxySelector = opts.kubeProxySelector ?? 'k8s-app=kube-proxy'
  const kubeProxyPods = opts.transport === 'debug-pod' ? undefined : await kubeProxyPodsByNode(client, kubeProxyNamespace, kubeProxySelector)
  return {
    kubeProxyPods,
    kubeProxyNamespace,
    kubeProxySelector,
    debugNamespace: opts.debugNamespace ?? kubeProxyNamespace,
    debugImage: opts.debugImage ?? borrowed ?? FALLBACK_DEBUG_IMAGE,
    sessionId: opts.sessionId ?? newSessionId(),
    registry: opts.registry ?? new CleanupRegistry(),
    nodeTimeoutMs: opts.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS,
  }
}

/** One LIST of kube-proxy pods, by node; undefined when it fails (each node then looks up its own). */
async function kubeProxyPodsByNode(client: ClusterClient, namespace: string, selector: string): Promise<Map<string, Pod> | undefined> {
  const pods = await client.listPods(namespace, {labelSelector: selector}).catch(() => undefined)
  if (!pods) return undefined
  const byNode = new Map<string, Pod>()
  for (const name of new Set(pods.map((p) => p.spec?.nodeName ?? ''))) {
    const pod = pickKubeProxyPod(pods, name)
    if (name && pod) byNode.set(name, pod)
  }
  return byNode
}

/** Errors this close to a node's deadline are reported as the node timing out. */
const DEADLINE_SLACK_MS = 50

/** Reads one node under its deadline; never throws (a failure is recorded in meta). */
async function captureNode(client: ClusterClient, node: Node, proxyConfig: KubeProxyConfig | undefined, opts: CaptureOptions & ResolvedReadDefaults): Promise<{capture: NodeCapture; error?: KpxError}> {
  const name = node.metadata.name
  const started = new Date().toISOString()
  const controller = new AbortController()
  const onOuterAbort = () => controller.abort()
  opts.signal?.addEventListener('abort', onOuterAbort, {once: true})
  let timer: NodeJS.Timeout | undefined
  const deadline = Date.now() + opts.nodeTimeoutMs
  const nodeTimeout = () => new ClusterAccessError(`node ${name}: no answer within ${opts.nodeTimeoutMs} ms`, ['raise --node-timeout'], 'node-timeout')
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(nodeTimeout()) // settle the race first: aborting rejects the read as well
      controller.abort()
    }, opts.nodeTimeoutMs)
  })
  const reading = readNode(client, node, {...opts, deadline, signal: controller.signal})
  reading.catch(() => undefined) // the loser of the race below must not become an unhandled rejection
  try {
    const read = await Promise.race([reading, timeout])
    return {capture: nodeCapture(node, read, proxyConfig, started)}
  } catch (error) {
    // Past the deadline, whichever fired first (the exec's own timeout, the abort, the node timer),
    // the node did not answer in time: say that, once, the same way every time.
    // (The exec's own timer is computed from the same deadline and may fire a hair earlier.)
    const late = Date.now() >= deadline - DEADLINE_SLACK_MS && !(opts.signal?.aborted ?? false)
    const kpx = late ? nodeTimeout() : error instanceof KpxError ? error : new ClusterAccessError((error as Error).message, [], 'node-failed', error)
    return {capture: {name, addresses: nodeStatusAddresses(node), meta: {capturedAt: started, error: kpx.message, errorCode: kpx.code}}, error: kpx}
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onOuterAbort)
  }
}

function nodeCapture(node: Node, read: NodeReadResult, proxyConfig: KubeProxyConfig | undefined, capturedAt: string): NodeCapture {
  const name = node.metadata.name
  const image = read.kubeProxyPod?.spec?.containers?.[0]?.image
  const meta: NodeMeta = {
    capturedAt,
    transport: read.transport,
    kubeProxyMode: proxyConfig?.mode || (read.iptables && /^:KUBE-SERVICES /m.test(read.iptables) ? 'iptables' : undefined),
    kubeProxyVersion: node.status?.nodeInfo?.kubeProxyVersion || imageTag(image),
    backend: read.backend,
    commands: read.commands,
    warnings: read.warnings,
  }
  return {
    name,
    addresses: read.addresses,
    ...(read.interfaces?.length ? {interfaces: read.interfaces} : {}),
    ...(read.iptables === undefined ? {} : {iptables: {origin: `live:${name}`, text: read.iptables}}),
    ...(read.ip6tables === undefined ? {} : {ip6tables: {origin: `live:${name}/ip6tables`, text: read.ip6tables}}),
    meta,
  }
}

/** registry.k8s.io/kube-proxy:v1.30.2@sha256:… → v1.30.2 (a registry port is not a tag). */
export function imageTag(image: string | undefined): string | undefined {
  return image ? /:([\w][\w.-]*)(?:@|$)/.exec(image.slice(image.lastIndexOf('/') + 1))?.[1] : undefined
}
