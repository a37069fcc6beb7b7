import {loadAllYaml} from '@kubernetes/client-node'
import {expect} from 'chai'

import {rbacManifest} from '../../../src/lib/cluster/rbac.js'

interface Doc {
  kind: string
  metadata: {name: string; namespace?: string}
  rules?: {apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[]}[]
  roleRef?: {kind: string; name: string}
  subjects?: {kind: string; name: string}[]
}

/** "kind ns verb group/resource" for every permission a manifest grants. */
function grants(yaml: string): string[] {
  const docs = loadAllYaml(yaml) as Doc[]
  return docs.flatMap((d) =>
    (d.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${d.kind} ${d.metadata.namespace ?? '*'} ${v} ${g ? `${g}/` : ''}${res}`)))),
  )
}

describe('cluster/rbac', () => {
  const reads = ['get', 'list'].flatMap((v) => ['nodes', 'services', 'pods', 'discovery.k8s.io/endpointslices'].map((r) => `ClusterRole * ${v} ${r}`))

  const cases: {transport: 'kube-proxy' | 'debug-pod' | 'auto'; must: string[]; mustNot: string[]}[] = [
    {
      transport: 'kube-proxy',
      must: [...reads, 'Role kube-system create pods/exec', 'Role kube-system get configmaps'],
      mustNot: ['Role kube-system create pods', 'Role kube-system delete pods'],
    },
    {
      transport: 'debug-pod',
      must: [...reads, 'Role kube-system create pods', 'Role kube-system delete pods', 'Role kube-system create pods/exec'],
      mustNot: ['ClusterRole * create pods', 'ClusterRole * create pods/exec'],
    },
    {transport: 'auto', must: ['Role kube-system create pods/exec', 'Role kube-system create pods', 'Role kube-system delete pods'], mustNot: []},
  ]
  for (const c of cases) {
    it(`${c.transport}: grants exactly what the transport needs`, () => {
      const granted = grants(rbacManifest(c.transport))
      for (const g of c.must) expect(granted).to.include(g)
      for (const g of c.mustNot) expect(granted).to.not.include(g)
      // Nothing cluster-wide beyond reads: writes and exec stay namespaced.
      expect(granted.filter((g) => g.startsWith('ClusterRole') && !/ (get|list) /.test(g))).to.deep.equal([])
    })
  }

  it('every Role has a binding to the chosen subject, and the YAML is valid', () => {
    const docs = loadAllYaml(rbacManifest('auto', {subject: {kind: 'User', name: 'alice'}, debugNamespace: 'kpx-debug'})) as Doc[]
    const roles = docs.filter((d) => d.kind.endsWith('Role'))
    const bindings = docs.filter((d) => d.kind.endsWith('Binding'))
    expect(roles.map((r) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`)).to.deep.equal([
      'ClusterRole//kpx-read',
      'Role/kube-system/kpx',
      'Role/kpx-debug/kpx-debug',
    ])
    for (const role of roles) {
      const binding = bindings.find((b) => b.roleRef?.name === role.metadata.name && b.metadata.namespace === role.metadata.namespace)
      expect(binding?.subjects).to.deep.equal([{kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io'}])
    }
  })
})
