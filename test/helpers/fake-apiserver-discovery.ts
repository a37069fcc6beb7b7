/**
 * The resources the fake serves and the discovery documents that describe them. kubectl resolves
 * `svc`, `po`, `no` through these documents (shortNames), so they must be accurate.
 */

export interface ResourceDef {
  /** Plural resource name, as in the URL. */
  name: string
  singularName: string
  group: string
  version: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  /** Pods are the only resource the fake lets clients create and delete. */
  writable?: boolean
}

const READ_VERBS = ['get', 'list', 'watch']
const WRITE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

export const RESOURCES: ResourceDef[] = [
  {name: 'namespaces', singularName: 'namespace', group: '', version: 'v1', kind: 'Namespace', namespaced: false, shortNames: ['ns']},
  {name: 'nodes', singularName: 'node', group: '', version: 'v1', kind: 'Node', namespaced: false, shortNames: ['no']},
  {name: 'services', singularName: 'service', group: '', version: 'v1', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all']},
  {name: 'endpoints', singularName: 'endpoints', group: '', version: 'v1', kind: 'Endpoints', namespaced: true, shortNames: ['ep']},
  {name: 'pods', singularName: 'pod', group: '', version: 'v1', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], writable: true},
  {name: 'configmaps', singularName: 'configmap', group: '', version: 'v1', kind: 'ConfigMap', namespaced: true, shortNames: ['cm']},
  {name: 'endpointslices', singularName: 'endpointslice', group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', namespaced: true},
  {name: 'daemonsets', singularName: 'daemonset', group: 'apps', version: 'v1', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all']},
]

export function findResource(group: string, version: string, name: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.name === name)
}

export function resourceForKind(apiVersion: string, kind: string): ResourceDef | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  return RESOURCES.find((r) => r.group === group && r.version === version && r.kind === kind)
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T17:59:15Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
}

export function coreVersions(serverAddress: string): object {
  return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress}]}
}

function groupEntry(group: string): object {
  const gv = {groupVersion: `${group}/v1`, version: 'v1'}
  return {name: group, versions: [gv], preferredVersion: gv}
}

export function apiGroupList(): object {
  return {kind: 'APIGroupList', apiVersion: 'v1', groups: ['apps', 'discovery.k8s.io'].map(groupEntry)}
}

export function apiGroup(group: string): object | undefined {
  if (!RESOURCES.some((r) => r.group === group)) return undefined
  return {kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group)}
}

function resourceEntries(def: ResourceDef): object[] {
  const entry: Record<string, unknown> = {
    name: def.name,
    singularName: def.singularName,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.writable ? WRITE_VERBS : READ_VERBS,
  }
  if (def.shortNames) entry.shortNames = def.shortNames
  if (def.categories) entry.categories = def.categories
  const entries: object[] = [entry]
  if (def.name === 'pods') {
    entries.push({name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get']})
  }
  return entries
}

export function apiResourceList(group: string, version: string): object | undefined {
  const defs = RESOURCES.filter((r) => r.group === group && r.version === version)
  if (defs.length === 0) return undefined
  const groupVersion = group ? `${group}/${version}` : version
  return {kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: defs.flatMap(resourceEntries)}
}
