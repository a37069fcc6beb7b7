/**
 * The client-node 1.x implementation of ClusterClient.
 * Every call is retried (429/5xx, see withRetry), big lists are paged with limit/continue, and
 * every failure leaves as a ClusterAccessError saying what was refused (see toClusterError).
 */
import {
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  loadYaml,
  type ObservableMiddleware,
  Observable,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node'

import {NotFoundError} from '../errors.js'
import type {ConfigMap, EndpointSlice, Node, Pod, Service} from '../snapshot/types.js'
import {toClusterError, withRetry, type RetryOptions} from './api-errors.js'
import type {ClusterClient, KubeProxyConfig, ListOptions, PodManifest} from './client.js'
import {execCapture, type ExecResult} from './exec.js'

/** Items per page: the apiserver's own recommendation for chunked lists. */
const PAGE_SIZE = 500

interface Page {
  items: unknown[]
  metadata?: {_continue?: string}
}

export interface KubeClientOptions {
  server: string
  namespace: string
  retry?: RetryOptions
  /** Per HTTP request; a stalled API server must not hang kpx (default 30 s). */
  requestTimeoutMs?: number
  pageSize?: number
}

/** client-node returns class instances (Dates, `_continue`); kpx works on the API's JSON shapes. */
function toPlain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T
}

export class KubeClusterClient implements ClusterClient {
  readonly server: string
  readonly namespace: string
  private readonly core: CoreV1Api
  private readonly discovery: DiscoveryV1Api
  private readonly apps: AppsV1Api

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: KubeClientOptions,
  ) {
    this.server = opts.server
    this.namespace = opts.namespace
    this.core = kc.makeApiClient(CoreV1Api)
    this.discovery = kc.makeApiClient(DiscoveryV1Api)
    this.apps = kc.makeApiClient(AppsV1Api)
  }

  /** Per-request options: a timeout through an AbortSignal set by a middleware. */
  private requestOptions(): ConfigurationOptions<ObservableMiddleware> {
    const ms = this.opts.requestTimeoutMs ?? 30_000
    const timeout: ObservableMiddleware = {
      pre(ctx: RequestContext) {
        ctx.setSignal(AbortSignal.timeout(ms))
        return new Observable(Promise.resolve(ctx))
      },
      post: (ctx: ResponseContext) => new Observable(Promise.resolve(ctx)),
    }
    return {middleware: [timeout], middlewareMergeStrategy: 'append'}
  }

  private async call<T>(verb: string, resource: string, namespace: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(fn, this.opts.retry)
    } catch (error) {
      throw toClusterError(error, {server: this.server, verb, resource, namespace})
    }
  }

  private async listAll<T>(resource: string, ns: string | undefined, fetchPage: (cont: string | undefined, limit: number) => Promise<Page>): Promise<T[]> {
    const items: T[] = []
    let cont: string | undefined
    do {
      const page = await this.call('list', resource, ns, () => fetchPage(cont, this.opts.pageSize ?? PAGE_SIZE))
      for (const item of page.items) items.push(toPlain<T>(item))
      cont = page.metadata?._continue || undefined
    } while (cont)
    return items
  }

  listNodes(opts: ListOptions = {}): Promise<Node[]> {
    return this.listAll<Node>('nodes', undefined, (cont, limit) => this.core.listNode({...opts, _continue: cont, limit}, this.requestOptions())).then((list) =>
      list.map((n) => ({kind: 'Node' as const, ...n})),
    )
  }

  listServices(ns?: string): Promise<Service[]> {
    return this.listAll<Service>('services', ns, (cont, limit) =>
      ns === undefined
        ? this.core.listServiceForAllNamespaces({_continue: cont, limit}, this.requestOptions())
        : this.core.listNamespacedService({namespace: ns, _continue: cont, limit}, this.requestOptions()),
    ).then((list) => list.map((s) => ({kind: 'Service' as const, ...s})))
  }

  listEndpointSlices(ns?: string): Promise<EndpointSlice[]> {
    return this.listAll<EndpointSlice>('endpointslices', ns, (cont, limit) =>
      ns === undefined
        ? this.discovery.listEndpointSliceForAllNamespaces({_continue: cont, limit}, this.requestOptions())
        : this.discovery.listNamespacedEndpointSlice({namespace: ns, _continue: cont, limit}, this.requestOptions()),
    ).then((list) => list.map((s) => ({kind: 'EndpointSlice' as const, ...s})))
  }

  listPods(ns?: string, opts: ListOptions = {}): Promise<Pod[]> {
    return this.listAll<Pod>('pods', ns, (cont, limit) =>
      ns === undefined
        ? this.core.listPodForAllNamespaces({...opts, _continue: cont, limit}, this.requestOptions())
        : this.core.listNamespacedPod({...opts, namespace: ns, _continue: cont, limit}, this.requestOptions()),
    ).then((list) => list.map((p) => ({kind: 'Pod' as const, ...p})))
  }

  async getPod(ns: string, name: string): Promise<Pod | undefined> {
    return this.readOptional('get', 'pods', ns, () => this.core.readNamespacedPod({namespace: ns, name}, this.requestOptions()))
  }

  async getKubeProxyConfig(opts: {namespace?: string; name?: string} = {}): Promise<KubeProxyConfig | undefined> {
    const ns = opts.namespace ?? 'kube-system'
    const cm = await this.readOptional<ConfigMap>('get', 'configmaps', ns, () =>
      this.core.readNamespacedConfigMap({namespace: ns, name: opts.name ?? 'kube-proxy'}, this.requestOptions()),
    )
    return cm ? parseKubeProxyConfigMap({kind: 'ConfigMap', ...cm}) : undefined
  }

  async getKubeProxyImage(opts: {namespace?: string; name?: string} = {}): Promise<string | undefined> {
    const ns = opts.namespace ?? 'kube-system'
    const ds = await this.readOptional<{spec?: {template?: {spec?: {containers?: {image?: string}[]}}}}>('get', 'daemonsets', ns, () =>
      this.apps.readNamespacedDaemonSet({namespace: ns, name: opts.name ?? 'kube-proxy'}, this.requestOptions()),
    )
    return ds?.spec?.template?.spec?.containers?.[0]?.image
  }

  async findKubeProxyPod(node: string, opts: {namespace: string; selector: string}): Promise<Pod | undefined> {
    const pods = await this.listPods(opts.namespace, {labelSelector: opts.selector, fieldSelector: `spec.nodeName=${node}`})
    return pickKubeProxyPod(pods, node)
  }

  exec(ns: string, pod: string, container: string, argv: string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<ExecResult> {
    return execCapture(this.kc, ns, pod, container, argv, opts)
  }

  async createPod(manifest: PodManifest): Promise<Pod> {
    const ns = manifest.metadata.namespace
    const created = await this.call('create', 'pods', ns, () =>
      this.core.createNamespacedPod({namespace: ns, body: {apiVersion: 'v1', kind: 'Pod', ...manifest} as never}, this.requestOptions()),
    )
    return toPlain<Pod>(created)
  }

  async deletePod(ns: string, name: string): Promise<void> {
    await this.readOptional('delete', 'pods', ns, () =>
      this.core.deleteNamespacedPod({namespace: ns, name, gracePeriodSeconds: 0}, this.requestOptions()),
    )
  }

  /** A read where 404 means "there is none", not an error. */
  private async readOptional<T>(verb: string, resource: string, ns: string, fn: () => Promise<unknown>): Promise<T | undefined> {
    try {
      return toPlain<T>(await this.call(verb, resource, ns, fn))
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
  }
}

/** Prefers a Running pod on the node (a DaemonSet rollout can leave a terminating one behind). */
export function pickKubeProxyPod(pods: Pod[], node: string): Pod | undefined {
  const onNode = pods.filter((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp)
  return onNode.find((p) => p.status?.phase === 'Running') ?? onNode[0]
}

/** Reads mode, clusterCIDR and iptables.masqueradeAll from the KubeProxyConfiguration in the ConfigMap. */
export function parseKubeProxyConfigMap(cm: ConfigMap): KubeProxyConfig {
  const text = cm.data?.['config.conf'] ?? Object.values(cm.data ?? {}).find((v) => /kind:\s*KubeProxyConfiguration/.test(v))
  let parsed: {mode?: unknown; clusterCIDR?: unknown; iptables?: {masqueradeAll?: unknown}} = {}
  try {
    parsed = (text ? loadYaml(text) : {}) ?? {}
  } catch {
    // An unreadable config is reported as "unknown" settings, not a failed capture.
  }
  return {
    configMap: cm,
    mode: typeof parsed.mode === 'string' ? parsed.mode : undefined,
    clusterCIDR: typeof parsed.clusterCIDR === 'string' ? parsed.clusterCIDR : undefined,
    masqueradeAll: typeof parsed.iptables?.masqueradeAll === 'boolean' ? parsed.iptables.masqueradeAll : undefined,
  }
}
