/**
 * The fake API server's object store: objects by resource, a cluster-wide resourceVersion that
 * grows with every change (as etcd's revision does), watch events, and the pod lifecycle a
 * kubelet would drive (Pending → Running, activeDeadlineSeconds → Failed).
 */
import {randomUUID} from 'node:crypto'
import {EventEmitter} from 'node:events'

import {RESOURCES, type ResourceDef, resourceForKind} from './fake-apiserver-discovery.js'
import type {KubeObject} from './fake-apiserver-selectors.js'

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'
export interface WatchEvent {
  type: WatchEventType
  resource: string
  object: KubeObject
}

export interface PodLifecycle {
  /** Delay before a created pod turns Running. */
  startDelayMs: number
  neverRun: boolean
}

/** kube's generateName suffix alphabet (k8s.io/apiserver/pkg/storage/names): no vowels, no 0/1/3. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

function randomSuffix(): string {
  let s = ''
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)]
  return s
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
}

export class ObjectStore {
  private readonly byResource = new Map<string, Map<string, KubeObject>>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private revision = 1
  private nextPodIp = 10
  readonly events = new EventEmitter()

  constructor(private readonly lifecycle: PodLifecycle) {
    for (const def of RESOURCES) this.byResource.set(def.name, new Map())
    this.events.setMaxListeners(0)
  }

  get resourceVersion(): number {
    return this.revision
  }

  /** Loads scenario objects (a v1 List is flattened); returns the kinds it could not place. */
  load(objects: unknown[]): string[] {
    const unknownKinds: string[] = []
    for (const raw of objects) {
      const obj = structuredClone(raw) as KubeObject & {kind?: string; apiVersion?: string; items?: unknown[]}
      if (obj.kind === 'List' && Array.isArray(obj.items)) {
        unknownKinds.push(...this.load(obj.items))
        continue
      }
      const def = resourceForKind(obj.apiVersion ?? 'v1', obj.kind ?? '')
      if (!def) {
        unknownKinds.push(`${obj.apiVersion}/${obj.kind}`)
        continue
      }
      this.put(def, obj, 'ADDED')
    }
    return unknownKinds
  }

  list(def: ResourceDef, namespace?: string): KubeObject[] {
    if (def.name === 'namespaces') return this.namespaces()
    const items = [...this.table(def).values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace)
    return items.sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    if (def.name === 'namespaces') return this.namespaces().find((n) => n.metadata.name === name)
    return this.table(def).get(`${namespace ?? ''}/${name}`)
  }

  /** Creates a pod like the API server plus a kubelet would: name from generateName, then Running. */
  createPod(def: ResourceDef, namespace: string, body: KubeObject & {metadata: {generateName?: string}}): KubeObject | 'exists' {
    const pod = structuredClone(body)
    pod.metadata.namespace = namespace
    if (!pod.metadata.name && pod.metadata.generateName) pod.metadata.name = pod.metadata.generateName + randomSuffix()
    if (this.get(def, namespace, pod.metadata.name)) return 'exists'
    pod.status = {phase: 'Pending', conditions: [{type: 'PodScheduled', status: 'True'}], qosClass: 'BestEffort'}
    this.put(def, pod, 'ADDED')
    if (!this.lifecycle.neverRun) this.later(this.lifecycle.startDelayMs, () => this.startPod(def, pod.metadata))
    // The kubelet counts the deadline from when it accepted the pod, running or not (image pulls too).
    const deadline = (pod.spec as {activeDeadlineSeconds?: number} | undefined)?.activeDeadlineSeconds
    if (deadline !== undefined) this.later(deadline * 1000, () => this.failPastDeadline(def, pod.metadata))
    return pod
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string, gracePeriodSeconds?: number): KubeObject | undefined {
    const obj = this.get(def, namespace, name)
    if (!obj) return undefined
    this.table(def).delete(keyOf(obj))
    this.revision++
    // The real server returns the object as it was when deletion began, with its deletion stamp.
    const gone = structuredClone(obj)
    gone.metadata.resourceVersion = String(this.revision)
    gone.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    gone.metadata.deletionGracePeriodSeconds = gracePeriodSeconds ?? 30
    this.events.emit('change', {type: 'DELETED', resource: def.name, object: gone} satisfies WatchEvent)
    return gone
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.events.removeAllListeners()
  }

  private table(def: ResourceDef): Map<string, KubeObject> {
    return this.byResource.get(def.name)!
  }

  /** Namespaces are not stored: the fake derives them from the objects, plus the standard ones. */
  private namespaces(): KubeObject[] {
    const names = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    for (const table of this.byResource.values()) for (const o of table.values()) if (o.metadata.namespace) names.add(o.metadata.namespace)
    return [...names].sort().map((name) => ({
      metadata: {name, uid: `ns-${name}`, resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', labels: {'kubernetes.io/metadata.name': name}},
      spec: {finalizers: ['kubernetes']},
      status: {phase: 'Active'},
    }))
  }

  private put(def: ResourceDef, obj: KubeObject, type: WatchEventType): void {
    this.revision++
    delete obj.kind
    delete obj.apiVersion
    obj.metadata.uid ??= randomUUID()
    obj.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    obj.metadata.resourceVersion = String(this.revision)
    if (!def.namespaced) delete obj.metadata.namespace
    else obj.metadata.namespace ??= 'default'
    this.table(def).set(keyOf(obj), obj)
    this.events.emit('change', {type, resource: def.name, object: structuredClone(obj)} satisfies WatchEvent)
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      fn()
    }, ms)
    this.timers.add(timer)
  }

  private startPod(def: ResourceDef, meta: KubeObject['metadata']): void {
    const pod = this.get(def, meta.namespace, meta.name)
    if (!pod || pod.metadata.uid !== meta.uid || (pod.status as {phase?: string}).phase !== 'Pending') return
    const spec = (pod.spec ?? {}) as {nodeName?: string; hostNetwork?: boolean; containers?: {name: string; image?: string}[]}
    const hostIP = this.nodeInternalIp(spec.nodeName) ?? '10.0.0.1'
    const podIP = spec.hostNetwork ? hostIP : `10.244.99.${this.nextPodIp++ % 250}`
    const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    pod.status = {
      phase: 'Running',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({type, status: 'True'})),
      hostIP,
      podIP,
      podIPs: [{ip: podIP}],
      startTime: startedAt,
      qosClass: 'BestEffort',
      containerStatuses: (spec.containers ?? []).map((c) => ({name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: {running: {startedAt}}})),
    }
    this.put(def, pod, 'MODIFIED')
  }

  /** The kubelet's answer to activeDeadlineSeconds: the pod fails with reason DeadlineExceeded. */
  private failPastDeadline(def: ResourceDef, meta: KubeObject['metadata']): void {
    const pod = this.get(def, meta.namespace, meta.name)
    if (!pod || pod.metadata.uid !== meta.uid) return
    pod.status = {
      ...(pod.status as object),
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
      conditions: [{type: 'Ready', status: 'False'}],
    }
    this.put(def, pod, 'MODIFIED')
  }

  private nodeInternalIp(nodeName: string | undefined): string | undefined {
    const nodes = this.byResource.get('nodes')!
    const node = nodeName ? nodes.get(`/${nodeName}`) : undefined
    const addresses = (node?.status as {addresses?: {type: string; address: string}[]} | undefined)?.addresses ?? []
    return addresses.find((a) => a.type === 'InternalIP')?.address
  }
}
