/**
 * Transport 2: a short-lived privileged pod on the node that runs the node's own binaries
 * (`chroot /host iptables-save`), so the legacy/nft backend is the one kube-proxy uses even
 * when kube-proxy is not a pod (k3s, systemd). kpx only reads: the host root is mounted
 * read-only and nothing but *-save and `ip addr` is run.
 *
 * Leaks are the risk, so: the delete is registered in the CleanupRegistry *before* the create
 * (Ctrl-C during the create still deletes it), `activeDeadlineSeconds` makes the kubelet kill
 * the pod even if kpx dies hard, and every pod carries labels so `kpx cleanup` can find it.
 */
import {randomBytes} from 'node:crypto'

import {ClusterAccessError} from '../errors.js'
import type {Pod} from '../snapshot/types.js'
import type {ClusterClient, PodManifest} from './client.js'
import type {CleanupRegistry} from './cleanup.js'
import type {RunOnNode} from './node-rules.js'

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const SESSION_LABEL = 'kpx.dev/session'
export const ROLE_LABEL = 'kpx.dev/role'
export const DEBUG_CONTAINER = 'debug'
/** Used when the cluster has no kube-proxy DaemonSet to borrow an image from; has sleep and chroot. */
export const FALLBACK_DEBUG_IMAGE = 'busybox:1.36'
export const DEFAULT_ACTIVE_DEADLINE_SECONDS = 300

export interface DebugPodOptions {
  namespace: string
  image: string
  sessionId: string
  activeDeadlineSeconds?: number
  /** How long to wait for the pod to be Running (image pull included). */
  startTimeoutMs: number
  /** Per command run in the pod. */
  execTimeoutMs: number
  pollIntervalMs?: number
  registry: CleanupRegistry
  signal?: AbortSignal
}

/** A short random id for this kpx run, used in pod names and the session label. */
export function newSessionId(): string {
  return randomBytes(4).toString('hex')
}

export function debugPodName(node: string, sessionId: string): string {
  // Pod names are DNS subdomains (253 chars); node names already are.
  return `kpx-debug-${sessionId}-${node}`.slice(0, 253).replace(/[-.]+$/, '')
}

export function debugPodManifest(node: string, opts: Pick<DebugPodOptions, 'namespace' | 'image' | 'sessionId' | 'activeDeadlineSeconds'>): PodManifest {
  const deadline = opts.activeDeadlineSeconds ?? DEFAULT_ACTIVE_DEADLINE_SECONDS
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: debugPodName(node, opts.sessionId),
      namespace: opts.namespace,
      labels: {[MANAGED_BY_LABEL]: 'kpx', [SESSION_LABEL]: opts.sessionId, [ROLE_LABEL]: 'node-debug'},
      annotations: {'kpx.dev/node': node},
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadline,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      tolerations: [{operator: 'Exists'}],
      containers: [
        {
          name: DEBUG_CONTAINER,
          image: opts.image,
          command: ['sleep', String(deadline)],
          securityContext: {privileged: true},
          volumeMounts: [{name: 'host-root', mountPath: '/host', readOnly: true}],
        },
      ],
      volumes: [{name: 'host-root', hostPath: {path: '/'}}],
    },
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitForRunning(client: ClusterClient, ns: string, name: string, opts: DebugPodOptions): Promise<void> {
  const giveUpAt = Date.now() + opts.startTimeoutMs
  for (;;) {
    if (opts.signal?.aborted || opts.registry.closing) throw new ClusterAccessError(`debug pod ${ns}/${name}: aborted while starting`, [], 'debug-pod-aborted')
    const pod: Pod | undefined = await client.getPod(ns, name)
    const phase = pod?.status?.phase
    if (phase === 'Running') return
    if (phase === 'Failed' || phase === 'Succeeded' || !pod) {
      throw new ClusterAccessError(`debug pod ${ns}/${name} ${pod ? `ended (${phase})` : 'disappeared'} before it could be used`, [
        'check the image has `sleep` and `chroot` (--debug-image), and the namespace allows privileged pods',
      ], 'debug-pod-failed')
    }
    if (Date.now() >= giveUpAt) {
      throw new ClusterAccessError(`debug pod ${ns}/${name} not running after ${opts.startTimeoutMs} ms (phase ${phase ?? 'unknown'})`, [
        'the image may be pulling or unpullable: pass --debug-image with an image the node has',
      ], 'debug-pod-timeout')
    }
    await sleep(opts.pollIntervalMs ?? 500)
  }
}

/**
 * Creates the debug pod on `node`, waits for it, and calls `body` with a runner that executes
 * argv under `chroot /host`. The pod is deleted afterwards whatever happens.
 */
export async function withDebugPod<T>(client: ClusterClient, node: string, opts: DebugPodOptions, body: (run: RunOnNode) => Promise<T>): Promise<T> {
  const manifest = debugPodManifest(node, opts)
  const {name, namespace: ns} = manifest.metadata
  const remove = () => client.deletePod(ns, name)
  const unregister = opts.registry.add(`delete debug pod ${ns}/${name}`, remove)
  try {
    await client.createPod(manifest)
    // Ctrl-C arrived while the create was in flight: the registry's delete may have run before it existed.
    if (opts.registry.closing) throw new ClusterAccessError(`debug pod ${ns}/${name}: interrupted`, [], 'debug-pod-aborted')
    await waitForRunning(client, ns, name, opts)
    return await body((argv) => client.exec(ns, name, DEBUG_CONTAINER, ['chroot', '/host', ...argv], {timeoutMs: opts.execTimeoutMs, signal: opts.signal}))
  } finally {
    unregister()
    await remove().catch(() => undefined)
  }
}

/** Deletes kpx's debug pods (all of them, or one session's); returns the deleted pods' names. */
export async function cleanupDebugPods(client: ClusterClient, opts: {namespace?: string; sessionId?: string} = {}): Promise<string[]> {
  const selector = [`${MANAGED_BY_LABEL}=kpx`, `${ROLE_LABEL}=node-debug`, ...(opts.sessionId ? [`${SESSION_LABEL}=${opts.sessionId}`] : [])].join(',')
  const pods = await client.listPods(opts.namespace, {labelSelector: selector})
  await Promise.all(pods.map((p) => client.deletePod(p.metadata.namespace ?? opts.namespace ?? 'default', p.metadata.name)))
  return pods.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`)
}
