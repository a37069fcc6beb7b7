/**
 * ClusterExpectations in a form that crosses from a worker thread cheaply (expectations-thread.ts).
 * A structured clone of 10^5 endpoint objects costs the receiving thread about what building
 * them did, so instead: the strings back to back in one text (one copy to receive), the few
 * repeated ones (node names, protocols) in a short list, and the records as numbers in one
 * transferable array (no copy). The receiver rebuilds the objects with slices of the text: no
 * parsing, no hashing but the maps' own.
 *
 * The hash index is not here: it is sent ahead of the rest (the rules view needs it first).
 */
import {type ClusterExpectations, type ExpectedEndpoint, type ExpectedServicePort, NO_HINTS} from './expectations.js'

export interface WireExpectations {
  /** Every distinct-per-record string (addresses, names), back to back: a record has its start and length. */
  text: string
  /** Strings many records share (node names, protocols, hints): a record has its index. */
  shared: string[]
  /**
   * Counts (ports, endpoints, services, pod IPs), then the records: per port PORT_SIZE numbers,
   * per endpoint ENDPOINT_SIZE, per service two, per pod IP four; then the lists (cluster IPs,
   * hints), a count and the strings, referred to by position from the lists' start.
   */
  ints: Int32Array
  /** Each port's number (any JSON number, hence apart). */
  portNumbers: Float64Array
  nodeZones: [string, string][]
}

/** servicePort (start, length), protocol (shared), flags, clusterIPs list, endpoint count. */
const PORT_SIZE = 6
/** address (start, length), flags, nodeName (shared), pod (start, length), zone hints list, node hints list. */
const ENDPOINT_SIZE = 8

const ETP_LOCAL = 1
const ITP_LOCAL = 2
const TOPOLOGY = 4
const PROXIED = 8
const IPV6 = 1
const READY = 2
const SERVING = 4
const TERMINATING = 8
/** A string or list that is not there (an undefined nodeName or pod, an endpoint without hints). */
const NONE = -1

/** Growable int32s: 10^6 of them for a 10k-Service cluster. */
class IntWriter {
  private array = new Int32Array(1 << 16)
  length = 0

  push(value: number): void {
    if (this.length === this.array.length) {
      const bigger = new Int32Array(this.array.length * 2)
      bigger.set(this.array)
      this.array = bigger
    }
    this.array[this.length++] = value
  }

  done(): Int32Array {
    return this.array.subarray(0, this.length)
  }
}

/** The expectations (but the hash index) as WireExpectations; `ints.buffer` can be transferred. */
export function encodeExpectations(cluster: Omit<ClusterExpectations, 'hashIndex'>): WireExpectations {
  const parts: string[] = []
  let length = 0
  const shared: string[] = []
  const sharedAt = new Map<string, number>()
  const records = new IntWriter()
  const lists = new IntWriter()
  const string = (value: string, into = records) => {
    into.push(length)
    into.push(value.length)
    parts.push(value)
    length += value.length
  }
  const optionalString = (value: string | undefined) => {
    if (value !== undefined) return string(value)
    records.push(NONE)
    records.push(0)
  }
  const sharedString = (value: string | undefined, into = records) => {
    if (value === undefined) return into.push(NONE)
    let at = sharedAt.get(value)
    if (at === undefined) sharedAt.set(value, (at = shared.push(value) - 1))
    into.push(at)
  }
  const list = (values: readonly string[] | undefined, each: (value: string, into: IntWriter) => void) => {
    if (values === undefined) return records.push(NONE)
    records.push(lists.length)
    lists.push(values.length)
    for (const value of values) each(value, lists)
  }
  const portNumbers: number[] = []
  for (const port of cluster.ports.values()) {
    const flags = (port.externalTrafficPolicyLocal ? ETP_LOCAL : 0) | (port.internalTrafficPolicyLocal ? ITP_LOCAL : 0) | (port.topologyRequested ? TOPOLOGY : 0) | (port.proxiedByKubeProxy ? PROXIED : 0)
    string(port.servicePort)
    sharedString(port.protocol)
    records.push(flags)
    list(port.clusterIPs, string)
    records.push(port.endpoints.length)
    portNumbers.push(port.port)
  }
  let endpoints = 0
  for (const port of cluster.ports.values()) {
    for (const e of port.endpoints) {
      string(e.address)
      records.push((e.family === 6 ? IPV6 : 0) | (e.ready ? READY : 0) | (e.serving ? SERVING : 0) | (e.terminating ? TERMINATING : 0))
      sharedString(e.nodeName)
      optionalString(e.pod)
      list(hintsOrNone(e.zoneHints), sharedString)
      list(hintsOrNone(e.nodeHints), sharedString)
      endpoints++
    }
  }
  for (const service of cluster.services) string(service)
  for (const [ip, pod] of cluster.podsByIp) {
    string(ip)
    string(pod)
  }
  const counts = [cluster.ports.size, endpoints, cluster.services.size, cluster.podsByIp.size]
  const ints = new Int32Array(counts.length + records.length + lists.length)
  ints.set(counts)
  ints.set(records.done(), counts.length)
  ints.set(lists.done(), counts.length + records.length)
  return {text: parts.join(''), shared, ints, portNumbers: Float64Array.from(portNumbers), nodeZones: [...cluster.nodeZones]}
}

/** The expectations WireExpectations holds, with `hashIndex`: equal to the ones encoded. */
export function decodeExpectations(wire: WireExpectations, hashIndex: Map<string, string>): ClusterExpectations {
  const {text, shared, ints, portNumbers} = wire
  const [portCount, endpointCount, serviceCount, podCount] = ints
  const str = (at: number) => text.slice(ints[at], ints[at] + ints[at + 1])
  const portsAt = 4
  let endpointAt = portsAt + portCount * PORT_SIZE
  const servicesAt = endpointAt + endpointCount * ENDPOINT_SIZE
  const podsAt = servicesAt + serviceCount * 2
  const listsAt = podsAt + podCount * 4
  const strings = (at: number, read: (at: number) => string, size: number): string[] | undefined => {
    if (at === NONE) return undefined
    const out: string[] = []
    for (let k = 0, n = ints[listsAt + at]; k < n; k++) out.push(read(listsAt + at + 1 + size * k))
    return out
  }
  const sharedStr = (at: number) => shared[ints[at]]
  const ports = new Map<string, ExpectedServicePort>()
  for (let k = 0; k < portCount; k++) {
    const at = portsAt + k * PORT_SIZE
    const endpoints: ExpectedEndpoint[] = []
    const byAddress = new Map<string, ExpectedEndpoint>()
    for (let n = ints[at + 5]; n > 0; n--, endpointAt += ENDPOINT_SIZE) {
      const e = decodeEndpoint(ints, endpointAt, text, shared, strings, sharedStr)
      endpoints.push(e)
      byAddress.set(e.address, e) // (addresses are distinct within a port)
    }
    const flags = ints[at + 3]
    const port: ExpectedServicePort = {
      servicePort: str(at),
      protocol: shared[ints[at + 2]],
      port: portNumbers[k],
      clusterIPs: strings(ints[at + 4], str, 2) ?? [],
      endpoints,
      byAddress,
      externalTrafficPolicyLocal: (flags & ETP_LOCAL) !== 0,
      internalTrafficPolicyLocal: (flags & ITP_LOCAL) !== 0,
      topologyRequested: (flags & TOPOLOGY) !== 0,
      proxiedByKubeProxy: (flags & PROXIED) !== 0,
    }
    ports.set(port.servicePort, port)
  }
  const services = new Set<string>()
  for (let k = 0; k < serviceCount; k++) services.add(str(servicesAt + 2 * k))
  const podsByIp = new Map<string, string>()
  for (let k = 0; k < podCount; k++) podsByIp.set(str(podsAt + 4 * k), str(podsAt + 4 * k + 2))
  return {ports, services, podsByIp, hashIndex, nodeZones: new Map(wire.nodeZones)}
}

function decodeEndpoint(
  ints: Int32Array,
  at: number,
  text: string,
  shared: string[],
  strings: (at: number, read: (at: number) => string, size: number) => string[] | undefined,
  sharedStr: (at: number) => string,
): ExpectedEndpoint {
  const flags = ints[at + 2]
  const node = ints[at + 3]
  const pod = ints[at + 4]
  return {
    address: text.slice(ints[at], ints[at] + ints[at + 1]),
    family: flags & IPV6 ? 6 : 4,
    ready: (flags & READY) !== 0,
    serving: (flags & SERVING) !== 0,
    terminating: (flags & TERMINATING) !== 0,
    nodeName: node === NONE ? undefined : shared[node],
    pod: pod === NONE ? undefined : text.slice(pod, pod + ints[at + 5]),
    zoneHints: strings(ints[at + 6], sharedStr, 1) ?? NO_HINTS,
    nodeHints: strings(ints[at + 7], sharedStr, 1) ?? NO_HINTS,
  }
}

/** expectations.ts's one list for "no hints" goes as no list, and comes back as that list. */
function hintsOrNone(hints: string[]): string[] | undefined {
  return hints === NO_HINTS ? undefined : hints
}
