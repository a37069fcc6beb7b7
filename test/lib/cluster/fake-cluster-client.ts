/**
 * An in-memory ClusterClient for unit tests of capture/transports: nodes with scripted command
 * outputs, kube-proxy pods, debug pods that become Running, and per-node faults.
 */
import type {ClusterClient, ExecResult, KubeProxyConfig, ListOptions, PodManifest} from '../../../src/lib/cluster/client.js'
import {ClusterAccessError} from '../../../src/lib/errors.js'
import type {Node, Pod} from '../../../src/lib/snapshot/types.js'

export interface FakeNode {
  name: string
  /** argv joined with spaces → result; missing commands exit 127 like a runtime "not found". */
  commands: Record<string, Partial<ExecResult> & {stdout?: string}>
  kubeProxyPod?: boolean
  /** Exec never answers (the client must time out or be aborted). */
  hang?: boolean
  /** Exec fails with its own timeout a moment before opts.timeoutMs runs out (execCapture's timer racing the node's). */
  execTimesOut?: boolean
  /** Exec is refused (like a 403 on pods/exec). */
  execForbidden?: boolean
  delayMs?: number
}

export class FakeClusterClient implements ClusterClient {
  readonly server = 'https://fake.invalid'
  readonly namespace = 'default'
  readonly execLog: {pod: string; argv: string[]}[] = []
  readonly created: PodManifest[] = []
  readonly deleted: string[] = []
  pods: Pod[] = []
  inFlight = 0
  maxInFlight = 0

  constructor(
    readonly nodes: FakeNode[],
    readonly proxyConfig?: KubeProxyConfig,
  ) {
    for (const n of nodes.filter((n) => n.kubeProxyPod)) {
      this.pods.push({
        metadata: {name: `kube-proxy-${n.name}`, namespace: 'kube-system', labels: {'k8s-app': 'kube-proxy'}},
        spec: {nodeName: n.name, containers: [{name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.31.2'}]},
        status: {phase: 'Running'},
      })
    }
  }

  async listNodes(opts: ListOptions = {}): Promise<Node[]> {
    const nodes = this.nodes.map((n) => ({metadata: {name: n.name, labels: {pool: n.name.startsWith('gpu') ? 'gpu' : 'cpu'}}, status: {addresses: [{type: 'InternalIP', address: `10.0.0.${this.nodes.indexOf(n) + 1}`}]}}))
    const want = opts.labelSelector?.split('=')
    return want ? nodes.filter((n) => n.metadata.labels[want[0] as 'pool'] === want[1]) : nodes
  }

  async listServices() {
    return []
  }

  async listEndpointSlices() {
    return []
  }

  async listPods(ns?: string, opts: ListOptions = {}): Promise<Pod[]> {
    const [key, value] = opts.labelSelector?.split(',')[0].split('=') ?? []
    return this.pods.filter((p) => (ns === undefined || p.metadata.namespace === ns) && (key === undefined || p.metadata.labels?.[key] === value))
  }

  async getPod(ns: string, name: string): Promise<Pod | undefined> {
    return this.pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name)
  }

  async getKubeProxyConfig() {
    return this.proxyConfig
  }

  async getKubeProxyImage() {
    return 'registry.k8s.io/kube-proxy:v1.31.2'
  }

  async findKubeProxyPod(node: string): Promise<Pod | undefined> {
    return this.pods.find((p) => p.spec?.nodeName === node && p.metadata.labels?.['k8s-app'] === 'kube-proxy')
  }

  async exec(ns: string, pod: string, _container: string, argv: string[], opts: {timeoutMs: number; signal?: AbortSignal}): Promise<ExecResult> {
    const podObj = await this.getPod(ns, pod)
    const node = this.nodes.find((n) => n.name === podObj?.spec?.nodeName)
    if (!node) throw new ClusterAccessError(`pod ${ns}/${pod} not found`, [], 'not-found')
    this.execLog.push({pod, argv})
    if (node.execForbidden && !pod.startsWith('kpx-debug')) throw new ClusterAccessError('RBAC: forbidden to create pods/exec in namespace kube-system', [], 'forbidden')
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      await this.wait(node, opts)
      const key = (argv[0] === 'chroot' ? argv.slice(2) : argv).join(' ')
      const scripted = node.commands[key]
      if (!scripted) return {stdout: '', stderr: '', exitCode: 127, message: `exec: "${argv[0]}": executable file not found in $PATH`}
      return {stdout: scripted.stdout ?? '', stderr: scripted.stderr ?? '', exitCode: scripted.exitCode ?? 0}
    } finally {
      this.inFlight--
    }
  }

  private wait(node: FakeNode, opts: {timeoutMs: number; signal?: AbortSignal}): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = () => reject(new ClusterAccessError(`exec on ${node.name} aborted`, [], 'exec-aborted'))
      if (opts.signal?.aborted) return fail()
      opts.signal?.addEventListener('abort', fail, {once: true})
      if (node.execTimesOut) setTimeout(() => reject(new ClusterAccessError(`exec on ${node.name} timed out after ${opts.timeoutMs} ms`, [], 'exec-timeout')), Math.max(0, opts.timeoutMs - 20))
      else if (!node.hang) setTimeout(resolve, node.delayMs ?? 1)
    })
  }

  async createPod(manifest: PodManifest): Promise<Pod> {
    this.created.push(manifest)
    const spec = manifest.spec as {nodeName: string; containers: {name: string; image: string}[]}
    const pod: Pod = {metadata: {...manifest.metadata}, spec: {nodeName: spec.nodeName, containers: spec.containers}, status: {phase: 'Running'}}
    this.pods.push(pod)
    return pod
  }

  async deletePod(ns: string, name: string): Promise<void> {
    this.deleted.push(`${ns}/${name}`)
    this.pods = this.pods.filter((p) => !(p.metadata.namespace === ns && p.metadata.name === name))
  }
}
