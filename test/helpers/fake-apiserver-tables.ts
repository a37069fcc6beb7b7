/**
 * Server-side printing: what kube-apiserver returns for `Accept: application/json;as=Table;
 * v=v1;g=meta.k8s.io`, which is how `kubectl get` asks for its columns. Column sets follow
 * pkg/printers/internalversion/printers.go; kubectl hides priority-1 columns unless `-o wide`.
 */
import type {KubeObject} from './fake-apiserver-selectors.js'

type Cell = string | number
interface Column {
  name: string
  type: 'string' | 'integer' | 'date'
  format?: 'name'
  priority?: 1
  description: string
  cell: (o: Any) => Cell
}
// Printers read deep optional fields of plain API JSON; one loose type keeps them short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any

const name: Column = {name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata.name}
const age: Column = {name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', cell: (o) => humanAge(o.metadata.creationTimestamp)}
const col = (n: string, cell: Column['cell'], extra: Partial<Column> = {}): Column => ({name: n, type: 'string', description: n, cell, ...extra})
const wide = {priority: 1 as const}
const orNone = (xs: string[] | undefined): string => (xs && xs.length > 0 ? xs.join(',') : '<none>')

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, the AGE column's format. */
export function humanAge(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>'
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000))
  const [m, h, d] = [Math.floor(s / 60), Math.floor(s / 3600), Math.floor(s / 86_400)]
  if (s < 120) return `${s}s`
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  if (h < 48) return `${h}h`
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`
  if (d < 730) return `${d}d`
  return `${Math.floor(d / 365)}y${d % 365}d`
}

function nodeStatus(o: Any): string {
  const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready')
  const base = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'
  return o.spec?.unschedulable ? `${base},SchedulingDisabled` : base
}

function nodeRoles(o: Any): string {
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
  return orNone(roles)
}

const nodeAddress = (type: string) => (o: Any) => (o.status?.addresses ?? []).find((a: Any) => a.type === type)?.address ?? '<none>'

function serviceExternalIp(o: Any): string {
  const spec = o.spec ?? {}
  const ingress = (o.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip ?? i.hostname)
  switch (spec.type) {
    case 'ExternalName':
      return spec.externalName ?? '<none>'
    case 'LoadBalancer': {
      const all = [...ingress, ...(spec.externalIPs ?? [])]
      return all.length > 0 ? all.join(',') : '<pending>'
    }
    default:
      return orNone(spec.externalIPs)
  }
}

function servicePorts(o: Any): string {
  const ports = (o.spec?.ports ?? []).map((p: Any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
  return orNone(ports)
}

function podStatus(o: Any): string {
  if (o.metadata.deletionTimestamp) return 'Terminating'
  const waiting = (o.status?.containerStatuses ?? []).find((c: Any) => c.state?.waiting?.reason)
  return waiting?.state.waiting.reason ?? o.status?.reason ?? o.status?.phase ?? 'Unknown'
}

function podReady(o: Any): string {
  const statuses = o.status?.containerStatuses ?? []
  return `${statuses.filter((c: Any) => c.ready).length}/${(o.spec?.containers ?? []).length}`
}

function sliceEndpoints(o: Any): string {
  const addresses: string[] = (o.endpoints ?? []).flatMap((e: Any) => e.addresses ?? [])
  if (addresses.length === 0) return '<unset>'
  return addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(',')
}

function endpointsList(o: Any): string {
  const pairs = (o.subsets ?? []).flatMap((s: Any) =>
    (s.addresses ?? []).flatMap((a: Any) => (s.ports ?? [{}]).map((p: Any) => (p.port ? `${a.ip}:${p.port}` : a.ip))),
  )
  return orNone(pairs.length > 3 ? [...pairs.slice(0, 3), `+ ${pairs.length - 3} more...`] : pairs)
}

const selectorText = (m: Record<string, string> | undefined): string => orNone(Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`))

const COLUMNS: Record<string, Column[]> = {
  namespaces: [name, col('Status', (o) => o.status?.phase ?? 'Active'), age],
  nodes: [
    name, col('Status', nodeStatus), col('Roles', nodeRoles), age,
    col('Version', (o) => o.status?.nodeInfo?.kubeletVersion ?? ''),
    col('Internal-IP', nodeAddress('InternalIP'), wide), col('External-IP', nodeAddress('ExternalIP'), wide),
    col('OS-Image', (o) => o.status?.nodeInfo?.osImage ?? '<unknown>', wide),
    col('Kernel-Version', (o) => o.status?.nodeInfo?.kernelVersion ?? '<unknown>', wide),
    col('Container-Runtime', (o) => o.status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>', wide),
  ],
  services: [
    name, col('Type', (o) => o.spec?.type ?? 'ClusterIP'), col('Cluster-IP', (o) => o.spec?.clusterIP ?? '<none>'),
    col('External-IP', serviceExternalIp), col('Port(s)', servicePorts), age, col('Selector', (o) => selectorText(o.spec?.selector), wide),
  ],
  pods: [
    name, col('Ready', podReady), col('Status', podStatus),
    col('Restarts', (o) => String((o.status?.containerStatuses ?? []).reduce((n: number, c: Any) => n + (c.restartCount ?? 0), 0))), age,
    col('IP', (o) => o.status?.podIP ?? '<none>', wide), col('Node', (o) => o.spec?.nodeName ?? '<none>', wide),
    col('Nominated Node', (o) => o.status?.nominatedNodeName ?? '<none>', wide), col('Readiness Gates', () => '<none>', wide),
  ],
  endpoints: [name, col('Endpoints', endpointsList), age],
  endpointslices: [
    name, col('AddressType', (o) => o.addressType ?? ''),
    col('Ports', (o) => orNone((o.ports ?? []).map((p: Any) => String(p.port ?? '<unset>'))).replace('<none>', '<unset>')),
    col('Endpoints', sliceEndpoints), age,
  ],
  configmaps: [name, col('Data', (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, {type: 'integer'}), age],
  daemonsets: [
    name, ...(['desiredNumberScheduled', 'currentNumberScheduled', 'numberReady', 'updatedNumberScheduled', 'numberAvailable'] as const).map((f, i) =>
      col(['Desired', 'Current', 'Ready', 'Up-to-date', 'Available'][i], (o) => o.status?.[f] ?? 0, {type: 'integer'})),
    col('Node Selector', (o) => selectorText(o.spec?.template?.spec?.nodeSelector)), age,
    col('Containers', (o) => (o.spec?.template?.spec?.containers ?? []).map((c: Any) => c.name).join(','), wide),
    col('Images', (o) => (o.spec?.template?.spec?.containers ?? []).map((c: Any) => c.image).join(','), wide),
    col('Selector', (o) => selectorText(o.spec?.selector?.matchLabels), wide),
  ],
}

export type IncludeObject = 'None' | 'Metadata' | 'Object'

function rowObject(o: KubeObject, include: IncludeObject, kind: string, apiVersion: string): object | undefined {
  if (include === 'None') return undefined
  if (include === 'Object') return {kind, apiVersion, ...o}
  return {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata}
}

/** A meta.k8s.io/v1 Table of `items`; `listMeta` carries resourceVersion and continue. */
export function toTable(resource: string, items: KubeObject[], opts: {include: IncludeObject; kind: string; apiVersion: string; listMeta: object}): object {
  const columns = COLUMNS[resource] ?? [name, age]
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta,
    columnDefinitions: columns.map((c) => ({name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority ?? 0})),
    rows: items.map((o) => {
      const object = rowObject(o, opts.include, opts.kind, opts.apiVersion)
      return {cells: columns.map((c) => c.cell(o)), ...(object ? {object} : {})}
    }),
  }
}

/** True when the Accept header asks for server-side printing (kubectl get without -o json/yaml). */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '') && /g=meta\.k8s\.io/.test(accept ?? '')
}
