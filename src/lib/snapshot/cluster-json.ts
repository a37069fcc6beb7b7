/**
 * cluster.json: the cluster objects of a snapshot, as `kubectl get nodes,services,endpointslices,
 * pods,configmaps -A -o json` prints them (a v1 List). Also accepted: a single object, typed lists
 * (`ServiceList`, whose items may lack `kind`), and Lists of Lists (several kubectl outputs
 * concatenated by hand into one List). Kinds kpx does not read are ignored.
 */
import {InputError} from '../errors.js'
import {parseJsonText} from './json-file.js'
import type {ClusterObjects, ConfigMap, EndpointSlice, Node, Pod, Service} from './types.js'

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
  const metadata = value.metadata
  if (!isObject(metadata) || typeof metadata.name !== 'string') {
    throw new InputError(`${origin}: ${where} (${kind}) has no metadata.name`)
  }
  bucket.push({...value, kind} as never)
}

function bucketFor(kind: string | undefined, into: ClusterObjects): unknown[] | undefined {
  switch (kind) {
    case 'Node':
      return into.nodes satisfies Node[]
    case 'Service':
      return into.services satisfies Service[]
    case 'EndpointSlice':
      return into.endpointSlices satisfies EndpointSlice[]
    case 'Pod':
      return into.pods satisfies Pod[]
    case 'ConfigMap':
      return into.configMaps satisfies ConfigMap[]
    default:
      return undefined
  }
}

function isListKind(kind: string): boolean {
  return kind === 'List' || kind.endsWith('List')
}

function isObject(value: unknown): value is JsonObject {
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
