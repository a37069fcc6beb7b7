/**
 * Ready-made scenarios for the fake API server, from test/fixtures/scenarios/ and examples/.
 * The ghost scenario is assembled at load time from examples/ghost/cluster.json (so it never
 * drifts from the example) plus the kube-proxy DaemonSet, pods and ConfigMap a live cluster has.
 */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {Scenario} from './fake-apiserver.js'

const repoFile = (relative: string): string => fileURLToPath(new URL(`../../${relative}`, import.meta.url))

const readJson = (relative: string): {objects?: unknown[]; items?: unknown[]} => JSON.parse(readFileSync(repoFile(relative), 'utf8'))

/** The ghost example's nodes, whose rules live in examples/ghost/nodes/<node>/iptables-save.txt. */
export const GHOST_NODES = ['k8s-1', 'k8s-2'] as const

/** kube-proxy pod per ghost node (from ghost-kube-proxy.json). */
export const GHOST_KUBE_PROXY_PODS: Record<(typeof GHOST_NODES)[number], string> = {'k8s-1': 'kube-proxy-7bq4x', 'k8s-2': 'kube-proxy-m9hzr'}

/** Path of a ghost node's iptables-save dump (iptables-legacy format; load with iptables-legacy-restore). */
export function ghostRulesPath(node: (typeof GHOST_NODES)[number]): string {
  return repoFile(`examples/ghost/nodes/${node}/iptables-save.txt`)
}

/** examples/ghost as a live cluster. Pass `nodeNamespaces` to run exec in network namespaces. */
export function ghostScenario(extra: Omit<Scenario, 'objects'> = {}): Scenario {
  const cluster = readJson('examples/ghost/cluster.json')
  const additions = readJson('test/fixtures/scenarios/ghost-kube-proxy.json')
  return {objects: [...(cluster.items ?? []), ...(additions.objects ?? [])], ...extra}
}

/** A small hand-made two-node cluster (node-a, node-b; blog/ghost) used by the fidelity tests. */
export function minimalScenario(extra: Omit<Scenario, 'objects'> = {}): Scenario {
  return {objects: readJson('test/fixtures/scenarios/minimal.json').objects ?? [], ...extra}
}
