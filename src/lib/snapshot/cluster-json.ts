/**
 * cluster.json: the cluster objects of a snapshot, as `kubectl get nodes,services,endpointslices,
 * pods,configmaps -A -o json` prints them (a v1 List). Also accepted: a single object, typed lists
 * (`ServiceList`, whose items may lack `kind`), and Lists of Lists (several kubectl outputs
 * concatenated by hand into one List). Kinds kpx does not read are ignored.
 */
import {InputError} from '../errors.js'
import {parseJsonText} from './json-file.js'
import type {ClusterObjects} from './types.js'

type JsonObject = Record<string, unknown>

export function emptyClusterObjects(): ClusterObjects {
  return {nodes: [], services: [], endpointSlices: [], pods: [], configMaps: []}
}

/** Parse the text of a cluster.json; errors name `origin` (and the line for JSON syntax errors). */
export function parseClusterJson(text: string, origin: string): ClusterObjects {
  const document = parseJsonText(text, origin)
  if (!isObject(document) || typeof document.kind !== 'string') {
    throw new InputError(`${origin}: not a Kubernetes List or object (expected {"kind": "List", "items": [...]})`, [
      `write it with: kubectl get nodes,services,endpointslices,pods -A -o json > ${origin}`,
    ])
  }
  const objects = emptyClusterObjects()
  collect(document, undefined, 'top level', origin, objects)
  return objects
}

function collect(value: unknown, impliedKind: string | undefined, where: string, origin: string, into: ClusterObjects): void {
  if (!isObject(value)) throw new InputError(`${origin}: ${where} is not an object`)
  const kind = typeof value.kind === 'string' ? value.kind : impliedKind
  if (kind !== undefined && isListKind(kind)) {
    if (!Array.isArray(value.items)) throw new InputError(`${origin}: ${where} is a ${kind} without an "items" array`)
    // `ServiceList` items from the raw API carry no kind: it is implied by the list's kind.
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length)
    value.items.forEach((item, i) => collect(item, itemKind, childPath(where, i), origin, into))
    return
  }
  addObject(value, kind, where, origin, into)
}

function childPath(where: string, index: number): string {
  return where === 'top level' ? `items[${index}]` : `${where}.items[${index}]`
}

function addObject(value: JsonObject, kind: string | undefined, where: string, origin: string, into: ClusterObjects): void {
  const bucket = bucketFor(kind, into)
  if (!bucket) return // a kind kpx does not read (Endpoints, Deployment, ...): ignore it
  bucket.push(checkedObject(value, kind as string, where, origin) as never)
}

/**
 * An item of a kind kpx reads, validated (InputError naming it when not) and tagged with its
 * kind. Shared by the eager path and the lazy one (lazy-cluster.ts), so both fail alike.
 */
export function checkedObject(value: JsonObject, kind: string, where: string, origin: string): object {
  if (!hasName(value)) throw new InputError(`${origin}: ${where} (${kind}) has no metadata.name`)
  const problem = shapeProblem(kind, value)
  if (problem) {
    // One line, naming the object; `where` (items[N]) is less useful to a user than the name.
    throw new InputError(`${origin}: ${kind} ${objectName(kind, value.metadata as JsonObject)} ${problem}`)
  }
  return {...value, kind}
}

/** Whether an object has the metadata.name every object kpx reads must have. */
export function hasName(value: JsonObject): boolean {
  return isObject(value.metadata) && typeof value.metadata.name === 'string'
}

/** `ns/name` (`default/name` for a namespaced object without namespace), or `name` for a Node. */
function objectName(kind: string, metadata: JsonObject): string {
  const name = metadata.name as string
  if (kind === 'Node') return name
  return `${typeof metadata.namespace === 'string' ? metadata.namespace : 'default'}/${name}`
}

/**
 * The fields the analysis reads, checked once here so that a hand-edited cluster.json fails with
 * the object's name (exit 4) instead of a TypeError deep in a check (exit 70). Fields kpx does not
 * read are not judged. Returns what is wrong, or undefined.
 */
function shapeProblem(kind: string, value: JsonObject): string | undefined {
  const metadata = value.metadata as JsonObject
  for (const field of ['labels', 'annotations']) {
    if (!isOptional(metadata[field], isStringMap)) return `has metadata.${field} that is not an object of strings`
  }
  switch (kind) {
    case 'Service':
      return serviceProblem(value)
    case 'EndpointSlice':
      return endpointSliceProblem(value)
    case 'Pod':
      if (!isOptional(value.spec, isObject)) return 'has a spec that is not an object'
      if (!isOptional(value.status, isObject)) return 'has a status that is not an object'
      return isOptional((value.status as JsonObject | undefined)?.podIPs, (ips) => isArrayOf(ips, (ip) => isObject(ip) && typeof ip.ip === 'string'))
        ? undefined
        : 'has status.podIPs that is not an array of {ip}'
    default:
      return undefined
  }
}

function serviceProblem(service: JsonObject): string | undefined {
  const spec = service.spec
  if (spec === undefined || spec === null) return 'has no spec'
  if (!isObject(spec)) return 'has a spec that is not an object'
  if (!isOptional(spec.ports, (ports) => isArrayOf(ports, (p) => isObject(p) && typeof p.port === 'number'))) {
    return 'has spec.ports that is not an array of ports with a numeric "port"'
  }
  if (!isOptional(spec.clusterIPs, (ips) => isArrayOf(ips, (ip) => typeof ip === 'string'))) return 'has spec.clusterIPs that is not an array of strings'
  if (!isOptional(spec.clusterIP, (ip) => typeof ip === 'string')) return 'has a spec.clusterIP that is not a string'
  return undefined
}

function endpointSliceProblem(slice: JsonObject): string | undefined {
  if (!isOptional(slice.ports, (ports) => isArrayOf(ports, (p) => isObject(p) && isOptional(p.port, (n) => typeof n === 'number')))) {
    return 'has ports that are not an array of ports'
  }
  if (!isOptional(slice.endpoints, Array.isArray)) return 'has endpoints that are not an array'
  for (const [i, endpoint] of (slice.endpoints as unknown[] | null | undefined ?? []).entries()) {
    const problem = endpointProblem(endpoint)
    if (problem) return `has endpoints[${i}] ${problem}`
  }
  return undefined
}

function endpointProblem(endpoint: unknown): string | undefined {
  if (!isObject(endpoint)) return 'that is not an object'
  const addresses = endpoint.addresses
  if (!isArrayOf(addresses, (a) => typeof a === 'string') || addresses.length === 0) return 'without addresses'
  if (!isOptional(endpoint.conditions, isObject)) return 'with conditions that are not an object'
  const hints = endpoint.hints
  if (hints === undefined || hints === null) return undefined
  const named = (list: unknown) => isOptional(list, (l) => isArrayOf(l, (h) => isObject(h) && typeof h.name === 'string'))
  return isObject(hints) && named(hints.forZones) && named(hints.forNodes) ? undefined : 'with hints that are not {forZones, forNodes: [{name}]}'
}

/** null and absent are both "not set" in the API's JSON. */
function isOptional(value: unknown, test: (value: unknown) => boolean): boolean {
  return value === undefined || value === null || test(value)
}

function isArrayOf(value: unknown, test: (item: JsonObject | unknown) => boolean): value is unknown[] {
  return Array.isArray(value) && value.every((item) => test(item))
}

function isStringMap(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string')
}

export function bucketFor(kind: string | undefined, into: ClusterObjects): unknown[] | undefined {
  const field = fieldOfKind(kind)
  return field === undefined ? undefined : into[field]
}

const FIELD_OF_KIND = {
  Node: 'nodes',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  Pod: 'pods',
  ConfigMap: 'configMaps',
} as const satisfies Record<string, keyof ClusterObjects>

/** The ClusterObjects list an object of this kind goes to; undefined for kinds kpx ignores. */
export function fieldOfKind(kind: string | undefined): keyof ClusterObjects | undefined {
  return kind !== undefined && Object.hasOwn(FIELD_OF_KIND, kind) ? FIELD_OF_KIND[kind as keyof typeof FIELD_OF_KIND] : undefined
}

export function isListKind(kind: string): boolean {
  return kind === 'List' || kind.endsWith('List')
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const API_VERSIONS: Record<string, string> = {
  Node: 'v1',
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Pod: 'v1',
  ConfigMap: 'v1',
}

/** The v1 List kubectl would print for these objects (apiVersion and kind set on every item). */
export function toClusterList(objects: ClusterObjects): {apiVersion: 'v1'; kind: 'List'; items: object[]; metadata: object} {
  const tagged = (kind: string, items: object[]) =>
    items.map((item) => ({apiVersion: API_VERSIONS[kind], ...item, kind}))
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      ...tagged('Node', objects.nodes),
      ...tagged('Service', objects.services),
      ...tagged('EndpointSlice', objects.endpointSlices),
      ...tagged('Pod', objects.pods),
      ...tagged('ConfigMap', objects.configMaps),
    ],
    metadata: {resourceVersion: ''},
  }
}
