/**
 * The least privilege kpx needs, as YAML a user can review and `kubectl apply -f -`.
 * Reads are cluster-wide (a node's rules cover every namespace); the powerful verbs are
 * confined to one namespace with a Role: exec into kube-proxy pods, or create/delete the
 * debug pods (which are privileged, so this Role is what an admin must think about).
 */
import type {TransportChoice} from './transports.js'

export interface RbacOptions {
  /** Name of the ClusterRole/Role and bindings (default kpx). */
  name?: string
  /** The subject to bind, e.g. a group of on-call engineers. */
  subject?: {kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string}
  kubeProxyNamespace?: string
  debugNamespace?: string
}

interface Rule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
  resourceNames?: string[]
}

const READ_RULES: Rule[] = [
  {apiGroups: [''], resources: ['nodes', 'services', 'pods'], verbs: ['get', 'list']},
  {apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list']},
]

function yamlList(values: string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`
}

function rulesYaml(rules: Rule[]): string {
  return rules
    .map((r) => {
      const names = r.resourceNames ? `\n    resourceNames: ${yamlList(r.resourceNames)}` : ''
      return `  - apiGroups: ${yamlList(r.apiGroups)}\n    resources: ${yamlList(r.resources)}${names}\n    verbs: ${yamlList(r.verbs)}`
    })
    .join('\n')
}

function subjectYaml(opts: RbacOptions): string {
  const s = opts.subject ?? {kind: 'Group', name: 'kpx-users'}
  const apiGroup = s.kind === 'ServiceAccount' ? '' : '\n    apiGroup: rbac.authorization.k8s.io'
  const ns = s.kind === 'ServiceAccount' ? `\n    namespace: ${s.namespace ?? 'default'}` : ''
  return `subjects:\n  - kind: ${s.kind}\n    name: ${s.name}${apiGroup}${ns}`
}

function role(kind: 'ClusterRole' | 'Role', name: string, namespace: string | undefined, comment: string, rules: Rule[]): string {
  const ns = namespace ? `\n  namespace: ${namespace}` : ''
  return `# ${comment}\napiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}${ns}\nrules:\n${rulesYaml(rules)}`
}

function binding(kind: 'ClusterRole' | 'Role', name: string, namespace: string | undefined, opts: RbacOptions): string {
  const ns = namespace ? `\n  namespace: ${namespace}` : ''
  return `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}Binding\nmetadata:\n  name: ${name}${ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ${kind}\n  name: ${name}\n${subjectYaml(opts)}`
}

/** The YAML documents for `transport` ('auto' = both transports). Edit the subject before applying. */
export function rbacManifest(transport: TransportChoice, opts: RbacOptions = {}): string {
  const name = opts.name ?? 'kpx'
  const kpNs = opts.kubeProxyNamespace ?? 'kube-system'
  const debugNs = opts.debugNamespace ?? kpNs
  const docs = [
    role('ClusterRole', `${name}-read`, undefined, 'kpx: read the cluster objects a node\'s rules are compared with', READ_RULES),
    binding('ClusterRole', `${name}-read`, undefined, opts),
  ]
  const nsRules = new Map<string, Rule[]>()
  const addRules = (ns: string, rules: Rule[]) => nsRules.set(ns, [...(nsRules.get(ns) ?? []), ...rules])
  if (transport !== 'debug-pod') {
    addRules(kpNs, [
      {apiGroups: [''], resources: ['configmaps'], resourceNames: ['kube-proxy'], verbs: ['get']},
      {apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['kube-proxy'], verbs: ['get']},
      {apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get']},
    ])
  }
  if (transport !== 'kube-proxy') {
    if (!nsRules.has(kpNs)) {
      addRules(kpNs, [
        {apiGroups: [''], resources: ['configmaps'], resourceNames: ['kube-proxy'], verbs: ['get']},
        {apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['kube-proxy'], verbs: ['get']},
      ])
    }
    addRules(debugNs, [
      {apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list']},
      ...(nsRules.get(debugNs)?.some((r) => r.resources.includes('pods/exec')) ? [] : [{apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get']}]),
    ])
  }
  for (const [ns, rules] of nsRules) {
    const roleName = ns === kpNs ? name : `${name}-debug`
    const why = transport === 'kube-proxy' ? 'exec into kube-proxy pods' : transport === 'debug-pod' ? 'run short-lived privileged debug pods' : 'exec into kube-proxy pods, or run debug pods'
    docs.push(role('Role', roleName, ns, `kpx (${transport}): ${why}`, rules), binding('Role', roleName, ns, opts))
  }
  return docs.join('\n---\n') + '\n'
}
