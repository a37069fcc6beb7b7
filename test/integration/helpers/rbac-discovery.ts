/**
 * A discovery-only HTTP endpoint that knows the rbac.authorization.k8s.io/v1 kinds, for
 * `kubectl create --dry-run=client -f -`: kubectl maps every document to a resource through
 * discovery even for a client-side dry run, and the fake API server (test/helpers) serves only
 * the resources kpx reads. No credentials are involved, so plain HTTP on 127.0.0.1 is enough.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

const RBAC_RESOURCES = [
  {name: 'clusterroles', kind: 'ClusterRole', namespaced: false},
  {name: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false},
  {name: 'roles', kind: 'Role', namespaced: true},
  {name: 'rolebindings', kind: 'RoleBinding', namespaced: true},
]

const RBAC_GV = {groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1'}

const DOCS: Record<string, object> = {
  '/api': {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1'}]},
  '/api/v1': {kind: 'APIResourceList', groupVersion: 'v1', resources: []},
  '/apis': {kind: 'APIGroupList', apiVersion: 'v1', groups: [{name: 'rbac.authorization.k8s.io', versions: [RBAC_GV], preferredVersion: RBAC_GV}]},
  '/apis/rbac.authorization.k8s.io/v1': {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: RBAC_GV.groupVersion,
    resources: RBAC_RESOURCES.map((r) => ({...r, singularName: '', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']})),
  },
  '/version': {major: '1', minor: '32', gitVersion: 'v1.32.0'},
}

export async function startRbacDiscovery(): Promise<{url: string; close(): Promise<void>}> {
  const server: Server = createServer((req, res) => {
    const doc = DOCS[new URL(req.url ?? '/', 'http://x').pathname]
    res.writeHead(doc ? 200 : 404, {'Content-Type': 'application/json'})
    res.end(JSON.stringify(doc ?? {kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
