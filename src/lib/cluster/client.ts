/**
 * The one seam between kpx and a cluster. Commands obtain a ClusterClient only through
 * `Cluster.connect(flags)` (a static method, so tests stub it with sinon under ESM) and
 * everything below works against the interface, so tests pass a fake.
 * All objects are the plain JSON shapes of src/lib/snapshot/types.ts, never client-node classes.
 */
import type {ConfigMap, Node, Pod} from '../snapshot/types.js'
import type {EndpointSlice, Service} from '../snapshot/types.js'
import type {ExecResult} from './exec.js'
import {KubeClusterClient} from './k8s-client.js'
import {loadKubeConfig, type KubeConfigOptions} from './kubeconfig.js'

export type {ExecResult} from './exec.js'

export interface ListOptions {
  labelSelector?: string
  fieldSelector?: string
}

/** What kpx reads from kube-proxy's ConfigMap (kubeadm: kube-system/kube-proxy, key config.conf). */
export interface KubeProxyConfig {
  configMap: ConfigMap
  /** '' in the file means the platform default, iptables on Linux; reported as given. */
  mode?: string
  clusterCIDR?: string
  masqueradeAll?: boolean
}

/** A pod to create: the plain JSON manifest, wider than the read-side Pod type. */
export interface PodManifest {
  apiVersion?: 'v1'
  kind?: 'Pod'
  metadata: {name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string>}
  spec: Record<string, unknown>
}

export interface ClusterClient {
  /** The API server URL, for messages. */
  readonly server: string
  /** The namespace from -n or the context; commands use it when -A is not given. */
  readonly namespace: string
  listNodes(opts?: ListOptions): Promise<Node[]>
  /** `ns` undefined = all namespaces. */
  listServices(ns?: string): Promise<Service[]>
  listEndpointSlices(ns?: string): Promise<EndpointSlice[]>
  listPods(ns?: string, opts?: ListOptions): Promise<Pod[]>
  /** undefined when the pod does not exist. */
  getPod(ns: string, name: string): Promise<Pod | undefined>
  /** kube-proxy's ConfigMap and the settings kpx uses; undefined when there is none (k3s, managed clusters). */
  getKubeProxyConfig(opts?: {namespace?: string; name?: string}): Promise<KubeProxyConfig | undefined>
  /** The image of the kube-proxy DaemonSet, when there is one (used for debug pods). */
  getKubeProxyImage(opts?: {namespace?: string; name?: string}): Promise<string | undefined>
  /** The running kube-proxy pod scheduled on `node`, if any. */
  findKubeProxyPod(node: string, opts: {namespace: string; selector: string}): Promise<Pod | undefined>
  exec(ns: string, pod: string, container: string, argv: string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<ExecResult>
  createPod(manifest: PodManifest): Promise<Pod>
  /** Idempotent: deleting a pod that is already gone is not an error. */
  deletePod(ns: string, name: string): Promise<void>
}

export type ConnectOptions = KubeConfigOptions

export class Cluster {
  /** Loads the kubeconfig like kubectl and returns a client; throws ClusterAccessError (exit 3). */
  static async connect(opts: ConnectOptions = {}): Promise<ClusterClient> {
    const loaded = loadKubeConfig(opts)
    return new KubeClusterClient(loaded.kc, {server: loaded.server, namespace: loaded.namespace})
  }
}
