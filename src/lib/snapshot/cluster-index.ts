/**
 * Lookups over a snapshot's cluster objects, built once in O(n) so analyses can ask
 * "which pod owns 10.44.0.3?" per endpoint without rescanning the lists.
 * IP keys are canonical (ipaddr.js), so `2001:DB8::1` and `2001:db8:0::1` find the same pod.
 */
import {canonicalIp} from '../net/ip.js'

import type {ClusterObjects, EndpointSlice, Node, Pod, Service} from './types.js'

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

export interface ClusterIndex {
  service(namespace: string, name: string): Service | undefined
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

export function indexCluster(objects: ClusterObjects): ClusterIndex {
  const services = byKey(objects.services, (svc) => key(svc.metadata.namespace, svc.metadata.name))
  const pods = byKey(objects.pods, (pod) => key(pod.metadata.namespace, pod.metadata.name))
  const nodes = byKey(objects.nodes, (node) => node.metadata.name)
  const slices = groupBy(objects.endpointSlices, sliceServiceKey)
  const podsByIp = groupBy(objects.pods, podIps)
  const nodesByIp = groupBy(objects.nodes, (node) => (node.status?.addresses ?? []).map((a) => canonicalIp(a.address)))
  for (const list of podsByIp.values()) list.sort((a, b) => podRank(a) - podRank(b))

  return {
    service: (namespace, name) => services.get(key(namespace, name)),
    endpointSlices: (namespace, name) => slices.get(key(namespace, name)) ?? [],
    pod: (namespace, name) => pods.get(key(namespace, name)),
    podByIP: (ip) => podsByIp.get(canonicalIp(ip))?.[0],
    podsByIP: (ip) => [...(podsByIp.get(canonicalIp(ip)) ?? [])],
    node: (name) => nodes.get(name),
    nodeByAddress: (ip) => nodesByIp.get(canonicalIp(ip))?.[0],
  }
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

function byKey<T>(items: T[], keyOf: (item: T) => string): Map<string, T> {
  const map = new Map<string, T>()
  for (const item of items) if (!map.has(keyOf(item))) map.set(keyOf(item), item)
  return map
}

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
