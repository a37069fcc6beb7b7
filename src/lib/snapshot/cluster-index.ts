/**
 * Lookups over a snapshot's cluster objects, built once in O(n) so analyses can ask
 * "which pod owns 10.44.0.3?" per endpoint without rescanning the lists.
 * IP keys are canonical (ipaddr.js), so `2001:DB8::1` and `2001:db8:0::1` find the same pod.
 */
import {canonicalIp} from '../net/ip.js'

import {lazySourceOf} from './lazy-cluster.js'
import type {ClusterObjects, EndpointSlice, Node, Pod, Service} from './types.js'

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

export interface ClusterIndex {
  service(namespace: string, name: string): Service | undefined
  /**
   * The last Service of that name: what a Map built from the list holds, as buildProxyModel's
   * lookup does. Differs from service() only when a hand-made cluster.json repeats a Service.
   */
  lastService(namespace: string, name: string): Service | undefined
  /** The Service's EndpointSlices (by label), all address families; [] when none. */
  endpointSlices(namespace: string, serviceName: string): EndpointSlice[]
  pod(namespace: string, name: string): Pod | undefined
  /** The pod that holds this IP: a running pod-network pod in preference to hostNetwork or finished ones. */
  podByIP(ip: string): Pod | undefined
  /** Every pod that reports this IP (hostNetwork pods share their node's IP). */
  podsByIP(ip: string): Pod[]
  node(name: string): Node | undefined
  /** The node that reports this address in status.addresses. */
  nodeByAddress(ip: string): Node | undefined
}

/**
 * The index of a snapshot's objects. For objects read lazily from cluster.json (lazy-cluster.ts)
 * the keys come from each item's skeleton (the few fields they need, exactly as in the object),
 * or were computed so on a worker thread, and an object is parsed only when a lookup returns it:
 * same answers, a fraction of the work.
 */
export function indexCluster(objects: ClusterObjects): ClusterIndex {
  return lazySourceOf(objects)?.index() ?? lookupsOver(indexMaps(objects, (item) => item), (item) => item)
}

/** The maps the lookups read, each built on its first use (a trace that never asks for a pod indexes no pod). */
export const INDEX_MAPS = ['services', 'pods', 'nodes', 'slices', 'podsByIp', 'nodesByIp'] as const
export type IndexMapName = (typeof INDEX_MAPS)[number]
/** Per map, key → the items with that key, in file order (pods by IP: best owner first). */
export type IndexMaps<T> = Record<IndexMapName, () => Map<string, T[]>>

/**
 * The maps over `objects` (or their skeletons). A key that cannot be computed from a malformed
 * object: `full(item)` is called first, so that the object's own error comes first.
 */
export function indexMaps(objects: ClusterObjects, full: <T>(item: T) => T): IndexMaps<object> {
  // (Map<string, Service[]> and the rest are Map<string, object[]>: the lookups cast back.)
  const safely = <T, K>(keyOf: (item: T) => K) => (item: T): K => {
    try {
      return keyOf(item)
    } catch (error) {
      full(item)
      throw error
    }
  }
  return {
    services: once(() => groupBy(objects.services, (svc) => [key(svc.metadata.namespace, svc.metadata.name)])),
    pods: once(() => groupBy(objects.pods, (pod) => [key(pod.metadata.namespace, pod.metadata.name)])),
    nodes: once(() => groupBy(objects.nodes, (node) => [node.metadata.name])),
    slices: once(() => groupBy(objects.endpointSlices, safely(sliceServiceKey))),
    podsByIp: once(() => rankedByIp(groupBy(objects.pods, safely(podIps)))),
    nodesByIp: once(() => groupBy(objects.nodes, safely((node: Node) => (node.status?.addresses ?? []).map((a) => canonicalIp(a.address))))),
  }
}

/** The lookups over `maps`; `full` turns what a map holds into what a lookup returns. */
export function lookupsOver<T>(maps: IndexMaps<T>, full: (item: T | undefined) => unknown): ClusterIndex {
  const one = <R>(item: T | undefined) => full(item) as R | undefined
  const all = <R>(items: T[] | undefined) => (items ?? []).map((item) => full(item) as R)
  return {
    service: (namespace, name) => one<Service>(maps.services().get(key(namespace, name))?.[0]),
    lastService: (namespace, name) => one<Service>(maps.services().get(key(namespace, name))?.at(-1)),
    endpointSlices: (namespace, name) => all<EndpointSlice>(maps.slices().get(key(namespace, name))),
    pod: (namespace, name) => one<Pod>(maps.pods().get(key(namespace, name))?.[0]),
    podByIP: (ip) => one<Pod>(maps.podsByIp().get(canonicalIp(ip))?.[0]),
    podsByIP: (ip) => all<Pod>(maps.podsByIp().get(canonicalIp(ip))),
    node: (name) => one<Node>(maps.nodes().get(name)?.[0]),
    nodeByAddress: (ip) => one<Node>(maps.nodesByIp().get(canonicalIp(ip))?.[0]),
  }
}

function once<T>(build: () => T): () => T {
  let value: T | undefined
  return () => (value ??= build())
}

function rankedByIp(podsByIp: Map<string, Pod[]>): Map<string, Pod[]> {
  for (const list of podsByIp.values()) list.sort((a, b) => podRank(a) - podRank(b))
  return podsByIp
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? 'default'}/${name}`
}

function sliceServiceKey(slice: EndpointSlice): string[] {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL]
  return service === undefined ? [] : [key(slice.metadata.namespace, service)]
}

function podIps(pod: Pod): string[] {
  const ips = new Set<string>()
  if (pod.status?.podIP) ips.add(canonicalIp(pod.status.podIP))
  for (const entry of pod.status?.podIPs ?? []) ips.add(canonicalIp(entry.ip))
  return [...ips]
}

/** Lower is better: pod-network pods that still run own their IP; finished pods' IPs get reused. */
function podRank(pod: Pod): number {
  const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
  return (finished ? 2 : 0) + (pod.spec?.hostNetwork ? 1 : 0)
}

/** Canonical text of an IP (IPv4-mapped IPv6 becomes IPv4); unparsable text is kept as is. */
export {canonicalIp}

function groupBy<T>(items: T[], keysOf: (item: T) => string[]): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of items) {
    for (const k of keysOf(item)) {
      const list = map.get(k)
      if (list) list.push(item)
      else map.set(k, [item])
    }
  }
  return map
}
