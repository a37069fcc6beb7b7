/**
 * ClusterExpectations in a form that crosses from a worker thread cheaply (expectations-thread.ts).
 * A structured clone of 10^5 endpoint objects costs the receiving thread about what building
 * them did, so instead: every string once, back to back, in one text (one copy to receive), and
 * the records as numbers in one transferable array (no copy). The receiver rebuilds the objects
 * with slices of the text: no parsing, no hashing but the maps' own.
 *
 * The hash index is not here: it is sent ahead of the rest (the rules view needs it first).
 */
import {type ClusterExpectations, type ExpectedEndpoint, type ExpectedServicePort, NO_HINTS} from './expectations.js'

export interface WireExpectations {
  /** Every string of the records, back to back; a record names one by start and length. */
  text: string
  /**
   * Counts (ports, endpoints, services, pod IPs), then the records: per port PORT_SIZE numbers,
   * per endpoint ENDPOINT_SIZE, per service a string, per pod IP two; lists (cluster IPs, hints)
   * are a count and strings, referred to by position. Doubles: ports are any JSON number.
   */
  numbers: Float64Array
  nodeZones: [string, string][]
}

/** servicePort, protocol (strings: two numbers each), port, flags, clusterIPs list, first endpoint, endpoint count. */
const PORT_SIZE = 9
/** address, flags, nodeName, pod (strings: two numbers each), zone hints list, node hints list. */
const ENDPOINT_SIZE = 9

const PORT_FLAGS = ['externalTrafficPolicyLocal', 'internalTrafficPolicyLocal', 'topologyRequested', 'proxiedByKubeProxy'] as const
const IPV6 = 1
const READY = 2
const SERVING = 4
const TERMINATING = 8
/** A string that is not there (an undefined nodeName or pod, an endpoint without hints). */
const NONE = -1

/** The strings of a record, back to back; repeated ones (node names, protocols) once. */
class TextWriter {
  private readonly parts: string[] = []
  private length = 0
  private readonly shared = new Map<string, number>()

  /** Where `text` starts. */
  put(text: string): number {
    const start = this.length
    this.parts.push(text)
    this.length += text.length
    return start
  }

  putShared(text: string): number {
    let start = this.shared.get(text)
    if (start === undefined) this.shared.set(text, (start = this.put(text)))
    return start
  }

  text(): string {
    return this.parts.join('')
  }
}

/** Growable numbers: 10^6 of them for a 10k-Service cluster. */
class NumberWriter {
  private array = new Float64Array(1 << 16)
  length = 0

  push(...values: number[]): void {
    for (const value of values) {
      if (this.length === this.array.length) {
        const bigger = new Float64Array(this.array.length * 2)
        bigger.set(this.array)
        this.array = bigger
      }
      this.array[this.length++] = value
    }
  }

  done(): Float64Array {
    return this.array.slice(0, this.length)
  }
}

/** The expectations (but the hash index) as WireExpectations; `numbers.buffer` can be transferred. */
export function encodeExpectations(cluster: Omit<ClusterExpectations, 'hashIndex'>): WireExpectations {
  const text = new TextWriter()
  const records = new NumberWriter()
  const lists = new NumberWriter()
  const string = (value: string) => [text.put(value), value.length]
  const sharedString = (value: string | undefined) => (value === undefined ? [NONE, 0] : [text.putShared(value), value.length])
  const optionalString = (value: string | undefined) => (value === undefined ? [NONE, 0] : string(value))
  // A list's position counts from the end of the records, known only at the end: kept apart meanwhile.
  const list = (values: readonly string[] | undefined): number => {
    if (values === undefined) return NONE
    const at = lists.length
    lists.push(values.length)
    for (const value of values) lists.push(...sharedString(value))
    return at
  }
  let endpoints = 0
  for (const port of cluster.ports.values()) {
    const flags = PORT_FLAGS.reduce((bits, name, k) => bits | (port[name] ? 1 << k : 0), 0)
    records.push(...string(port.servicePort), ...sharedString(port.protocol), port.port, flags, list(port.clusterIPs), endpoints, port.endpoints.length)
    endpoints += port.endpoints.length
  }
  for (const port of cluster.ports.values()) {
    for (const e of port.endpoints) {
      const flags = (e.family === 6 ? IPV6 : 0) | (e.ready ? READY : 0) | (e.serving ? SERVING : 0) | (e.terminating ? TERMINATING : 0)
      records.push(...string(e.address), flags, ...sharedString(e.nodeName), ...optionalString(e.pod), list(hintsOrNone(e.zoneHints)), list(hintsOrNone(e.nodeHints)))
    }
  }
  for (const service of cluster.services) records.push(...string(service))
  for (const [ip, pod] of cluster.podsByIp) records.push(...string(ip), ...string(pod))
  const counts = [cluster.ports.size, endpoints, cluster.services.size, cluster.podsByIp.size]
  const numbers = new Float64Array(counts.length + records.length + lists.length)
  numbers.set(counts)
  numbers.set(records.done(), counts.length)
  numbers.set(lists.done(), counts.length + records.length)
  // List positions were relative to the lists' start: the reader adds it.
  return {text: text.text(), numbers, nodeZones: [...cluster.nodeZones]}
}

/** The expectations WireExpectations holds, with `hashIndex`: equal to the ones encoded. */
export function decodeExpectations(wire: WireExpectations, hashIndex: Map<string, string>): ClusterExpectations {
  const {text, numbers} = wire
  const [portCount, endpointCount, serviceCount, podCount] = numbers
  const shared = new Map<number, string>()
  const str = (at: number) => text.slice(numbers[at], numbers[at] + numbers[at + 1])
  const sharedStr = (at: number): string | undefined => {
    const start = numbers[at]
    if (start === NONE) return undefined
    let value = shared.get(start)
    if (value === undefined) shared.set(start, (value = text.slice(start, start + numbers[at + 1])))
    return value
  }
  const optionalStr = (at: number) => (numbers[at] === NONE ? undefined : str(at))
  const endpointsAt = 4 + portCount * PORT_SIZE
  const servicesAt = endpointsAt + endpointCount * ENDPOINT_SIZE
  const podsAt = servicesAt + serviceCount * 2
  const listsAt = podsAt + podCount * 4
  const list = (at: number): string[] | undefined => {
    if (at === NONE) return undefined
    const out: string[] = []
    for (let k = 0, n = numbers[listsAt + at]; k < n; k++) out.push(sharedStr(listsAt + at + 1 + 2 * k) as string)
    return out
  }
  const endpoints: ExpectedEndpoint[] = []
  for (let k = 0; k < endpointCount; k++) {
    const at = endpointsAt + k * ENDPOINT_SIZE
    const flags = numbers[at + 2]
    endpoints.push({
      address: str(at),
      family: flags & IPV6 ? 6 : 4,
      ready: (flags & READY) !== 0,
      serving: (flags & SERVING) !== 0,
      terminating: (flags & TERMINATING) !== 0,
      nodeName: sharedStr(at + 3),
      pod: optionalStr(at + 5),
      zoneHints: list(numbers[at + 7]) ?? NO_HINTS,
      nodeHints: list(numbers[at + 8]) ?? NO_HINTS,
    })
  }
  const ports = new Map<string, ExpectedServicePort>()
  for (let k = 0; k < portCount; k++) {
    const at = 4 + k * PORT_SIZE
    const first = numbers[at + 7]
    const own = endpoints.slice(first, first + numbers[at + 8])
    const byAddress = new Map<string, ExpectedEndpoint>()
    for (const e of own) byAddress.set(e.address, e) // (addresses are distinct within a port)
    const flags = numbers[at + 5]
    const port: ExpectedServicePort = {
      servicePort: str(at),
      protocol: sharedStr(at + 2) as string,
      port: numbers[at + 4],
      clusterIPs: list(numbers[at + 6]) ?? [],
      endpoints: own,
      byAddress,
      externalTrafficPolicyLocal: (flags & 1) !== 0,
      internalTrafficPolicyLocal: (flags & 2) !== 0,
      topologyRequested: (flags & 4) !== 0,
      proxiedByKubeProxy: (flags & 8) !== 0,
    }
    ports.set(port.servicePort, port)
  }
  const services = new Set<string>()
  for (let k = 0; k < serviceCount; k++) services.add(str(servicesAt + 2 * k))
  const podsByIp = new Map<string, string>()
  for (let k = 0; k < podCount; k++) podsByIp.set(str(podsAt + 4 * k), str(podsAt + 4 * k + 2))
  return {ports, services, podsByIp, hashIndex, nodeZones: new Map(wire.nodeZones)}
}

/** expectations.ts's one list for "no hints" goes as no list, and comes back as that list. */
function hintsOrNone(hints: string[]): string[] | undefined {
  return hints === NO_HINTS ? undefined : hints
}
