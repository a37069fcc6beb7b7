/**
 * Topology-aware routing as kube-proxy applies it (kubernetes pkg/proxy/topology.go,
 * `CategorizeEndpoints`): for a Service that asks for it, a node's KUBE-SVC chain holds only the
 * ready endpoints hinted for the node (PreferSameNode) or for its zone — but only when every ready
 * endpoint carries such a hint and at least one names this node/zone. Otherwise kube-proxy
 * ignores the hints and uses every ready endpoint, so incomplete hints never shrink a chain.
 * KUBE-SVL/KUBE-XLB (Local traffic policy) and the terminating fallback never use topology.
 */
import type {Service} from '../snapshot/types.js'

export const ZONE_LABEL = 'topology.kubernetes.io/zone'
const TOPOLOGY_MODE_ANNOTATION = 'service.kubernetes.io/topology-mode'
const LEGACY_HINTS_ANNOTATION = 'service.kubernetes.io/topology-aware-hints'

/** Where a node sits, as far as topology hints go. */
export interface NodePlace {
  name: string
  /** The node's topology.kubernetes.io/zone label, when cluster.json has the Node. */
  zone?: string
}

export interface HintedEndpoint {
  ready: boolean
  zoneHints: string[]
  nodeHints: string[]
}

/**
 * Does the Service ask for topology-aware routing? kube-proxy (≤ 1.30) read the annotation
 * (`topology-mode`, else the legacy `topology-aware-hints`) and accepted any value but empty or
 * "disabled"; `spec.trafficDistribution` (PreferClose, PreferSameZone, PreferSameNode) asks too.
 * Newer kube-proxy trusts the hints alone, which the EndpointSlice controller only writes for
 * Services that ask, so both readings agree on a consistent cluster.
 */
export function serviceRequestsTopology(service: Service): boolean {
  if (service.spec.trafficDistribution) return true
  const annotations = service.metadata.annotations ?? {}
  const mode = annotations[TOPOLOGY_MODE_ANNOTATION] ?? annotations[LEGACY_HINTS_ANNOTATION] ?? ''
  return mode !== '' && mode.toLowerCase() !== 'disabled'
}

type TopologyMode = 'node' | 'zone'

/** Which hints kube-proxy on `node` follows for these endpoints (topologyModeFromHints), if any. */
export function topologyModeFor(endpoints: HintedEndpoint[], node: NodePlace): TopologyMode | undefined {
  const ready = endpoints.filter((e) => e.ready)
  if (ready.length === 0) return undefined
  if (ready.every((e) => e.nodeHints.length > 0) && ready.some((e) => e.nodeHints.includes(node.name))) return 'node'
  const zone = node.zone
  if (zone && ready.every((e) => e.zoneHints.length > 0) && ready.some((e) => e.zoneHints.includes(zone))) return 'zone'
  return undefined
}

/** The ready endpoints kube-proxy on `node` puts in a Cluster-policy chain. */
export function filterByTopology<E extends HintedEndpoint>(ready: E[], node: NodePlace): E[] {
  const mode = topologyModeFor(ready, node)
  if (mode === 'node') return ready.filter((e) => e.nodeHints.includes(node.name))
  if (mode === 'zone') return ready.filter((e) => e.zoneHints.includes(node.zone as string))
  return ready
}
