import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'

import {expect} from 'chai'

import {loadKubeConfig} from '../../../src/lib/cluster/kubeconfig.js'
import {ClusterAccessError} from '../../../src/lib/errors.js'

function kubeconfig(current: string | undefined, contexts: {name: string; cluster: string; namespace?: string}[], clusters: {name: string; server: string}[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({name: c.name, cluster: {server: c.server}})),
    users: [{name: 'u', user: {token: 't'}}],
    contexts: contexts.map((c) => ({name: c.name, context: {cluster: c.cluster, user: 'u', ...(c.namespace ? {namespace: c.namespace} : {})}})),
    ...(current ? {'current-context': current} : {}),
  })
}

describe('cluster/kubeconfig', () => {
  let dir: string
  let fileA: string
  let fileB: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kpxC-kubeconfig-'))
    fileA = join(dir, 'a.yaml')
    fileB = join(dir, 'b.yaml')
    writeFileSync(fileA, kubeconfig('prod', [{name: 'prod', cluster: 'prod', namespace: 'payments'}], [{name: 'prod', server: 'https://prod.example:6443'}]))
    // b redefines cluster "prod" (kubectl: the first file wins) and adds a context.
    writeFileSync(fileB, kubeconfig('staging', [{name: 'staging', cluster: 'staging'}], [{name: 'prod', server: 'https://other'}, {name: 'staging', server: 'http://127.0.0.1:8001'}]))
  })

  after(() => rmSync(dir, {recursive: true, force: true}))

  const empty = () => ({HOME: join(dir, 'nohome')})

  const cases: {name: string; opts: () => Parameters<typeof loadKubeConfig>[0]; want: {context: string; namespace: string; server: string}}[] = [
    {
      name: '--kubeconfig: current context and its namespace',
      opts: () => ({kubeconfig: fileA, env: empty()}),
      want: {context: 'prod', namespace: 'payments', server: 'https://prod.example:6443'},
    },
    {
      name: '$KUBECONFIG with two files: first file wins current-context and clusters',
      opts: () => ({env: {...empty(), KUBECONFIG: [fileA, fileB].join(delimiter)}}),
      want: {context: 'prod', namespace: 'payments', server: 'https://prod.example:6443'},
    },
    {
      name: '--context picks a context from the second file; namespace falls back to default',
      opts: () => ({context: 'staging', env: {...empty(), KUBECONFIG: [fileA, fileB].join(delimiter)}}),
      want: {context: 'staging', namespace: 'default', server: 'http://127.0.0.1:8001'},
    },
    {
      name: '-n overrides the context namespace',
      opts: () => ({kubeconfig: fileA, namespace: 'kube-system', env: empty()}),
      want: {context: 'prod', namespace: 'kube-system', server: 'https://prod.example:6443'},
    },
    {
      name: '--kubeconfig beats $KUBECONFIG',
      opts: () => ({kubeconfig: fileB, env: {...empty(), KUBECONFIG: fileA}}),
      want: {context: 'staging', namespace: 'default', server: 'http://127.0.0.1:8001'},
    },
    {
      name: 'missing files in $KUBECONFIG are skipped like kubectl',
      opts: () => ({env: {...empty(), KUBECONFIG: [join(dir, 'nope'), fileB].join(delimiter)}}),
      want: {context: 'staging', namespace: 'default', server: 'http://127.0.0.1:8001'},
    },
    {
      name: '~/.kube/config when nothing else is set',
      opts: () => {
        const home = join(dir, 'home')
        mkdirSync(join(home, '.kube'), {recursive: true})
        writeFileSync(join(home, '.kube', 'config'), kubeconfig('prod', [{name: 'prod', cluster: 'prod'}], [{name: 'prod', server: 'https://home'}]))
        return {env: {HOME: home}}
      },
      want: {context: 'prod', namespace: 'default', server: 'https://home'},
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const loaded = loadKubeConfig(c.opts())
      expect({context: loaded.context, namespace: loaded.namespace, server: loaded.server}).to.deep.equal(c.want)
    })
  }

  it('plain http servers are usable (client-node needs skipTLSVerify for them)', () => {
    const {kc} = loadKubeConfig({kubeconfig: fileB, env: empty()})
    expect(kc.getCurrentCluster()?.skipTLSVerify).to.equal(true)
    const {kc: tls} = loadKubeConfig({kubeconfig: fileA, env: empty()})
    expect(tls.getCurrentCluster()?.skipTLSVerify).to.not.equal(true)
  })

  it('in-cluster: the service account token and namespace', () => {
    const root = join(dir, 'sa')
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount')
    mkdirSync(sa, {recursive: true})
    writeFileSync(join(sa, 'token'), 'tok')
    writeFileSync(join(sa, 'ca.crt'), '')
    writeFileSync(join(sa, 'namespace'), 'monitoring')
    const saved = {host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT}
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1'
    process.env.KUBERNETES_SERVICE_PORT = '443'
    try {
      const loaded = loadKubeConfig({env: {...empty(), KUBERNETES_SERVICE_HOST: '10.96.0.1'}, serviceAccountRoot: root})
      expect({server: loaded.server, namespace: loaded.namespace, source: loaded.source}).to.deep.equal({
        server: 'https://10.96.0.1:443',
        namespace: 'monitoring',
        source: 'in-cluster service account',
      })
    } finally {
      for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })

  const errors: {name: string; opts: () => Parameters<typeof loadKubeConfig>[0]; message: RegExp; code: string; suggestion?: RegExp}[] = [
    {name: 'no kubeconfig anywhere', opts: () => ({env: empty()}), message: /^no kubeconfig found/, code: 'no-kubeconfig', suggestion: /--kubeconfig/},
    {name: '--kubeconfig path does not exist', opts: () => ({kubeconfig: join(dir, 'missing'), env: empty()}), message: /missing does not exist/, code: 'no-kubeconfig'},
    {name: 'unknown --context lists the known ones', opts: () => ({kubeconfig: fileA, context: 'dev', env: empty()}), message: /^context "dev" not found in kubeconfig/, code: 'unknown-context', suggestion: /available contexts: prod/},
    {
      name: 'no current-context',
      opts: () => {
        const f = join(dir, 'nocurrent.yaml')
        writeFileSync(f, kubeconfig(undefined, [{name: 'x', cluster: 'x'}], [{name: 'x', server: 'https://x'}]))
        return {kubeconfig: f, env: empty()}
      },
      message: /no current context is set/,
      code: 'no-context',
      suggestion: /--context/,
    },
    {
      name: 'invalid YAML names the file',
      opts: () => {
        const f = join(dir, 'bad.yaml')
        writeFileSync(f, 'clusters: [\n')
        return {kubeconfig: f, env: empty()}
      },
      message: /bad\.yaml is not valid YAML/,
      code: 'bad-kubeconfig',
    },
  ]
  for (const e of errors) {
    it(`error: ${e.name}`, () => {
      let caught: unknown
      try {
        loadKubeConfig(e.opts())
      } catch (error) {
        caught = error
      }
      expect(caught).to.be.instanceOf(ClusterAccessError)
      const err = caught as ClusterAccessError
      expect(err.message).to.match(e.message)
      expect(err.code).to.equal(e.code)
      expect(err.exitCode).to.equal(3)
      if (e.suggestion) expect(err.suggestions.join('\n')).to.match(e.suggestion)
    })
  }
})
