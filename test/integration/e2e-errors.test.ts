/**
 * Cluster access failures through the built kpx: each is one line on stderr (`kpx: ...`, maybe
 * followed by `  try: ...` suggestions), no stack trace, nothing on stdout, and exit code 3.
 * These need no network namespaces: they fail before any node is read.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {type FakeApiServer, type Scenario, startFakeApiServer} from '../helpers/fake-apiserver.js'
import {ghostScenario} from '../helpers/fake-apiserver-scenarios.js'
import {explainRun, type KpxRun, requireBuild, runKpx} from './helpers/kpx-process.js'
import {startRbacDiscovery} from './helpers/rbac-discovery.js'

const CLUSTER = 3

function expectOneLineError(run: KpxRun, message: RegExp): void {
  expect(run.code, explainRun(run)).to.equal(CLUSTER)
  expect(run.stdout).to.equal('')
  const lines = run.stderr.trimEnd().split('\n')
  expect(lines[0]).to.match(/^kpx: /).and.to.match(message)
  expect(lines.slice(1).every((l) => l.startsWith('  try: ')), run.stderr).to.equal(true)
}

interface Case {
  name: string
  faults: Scenario['faults']
  args: string[]
  message: RegExp
  /** Use a kubeconfig with this token instead of the scenario's. */
  token?: string
}

const cases: Case[] = [
  {name: 'RBAC denial of listing nodes', faults: {forbid: [{verb: 'list', resource: 'nodes'}]}, args: ['check', '--all-nodes'], message: /forbidden.*\blist\b.*\bnodes\b|\blist\b.*\bnodes\b.*forbidden/i},
  {name: 'RBAC denial of exec into kube-proxy', faults: {forbid: [{verb: 'create', resource: 'pods/exec'}]}, args: ['trace', 'svc/ghost', '--nodeport', '30966', '--node', 'k8s-1'], message: /pods\/exec/},
  {name: 'an expired token (401)', faults: {token: 'fresh-token'}, token: 'expired-token', args: ['trace', 'svc/ghost', '--nodeport', '30966'], message: /401|unauthori[sz]ed|credentials/i},
]

describe('e2e: cluster access errors are one line and exit 3', function () {
  this.timeout(60_000)
  before(() => requireBuild())

  for (const c of cases) {
    it(c.name, async () => {
      const server = await startFakeApiServer(ghostScenario({faults: c.faults}))
      try {
        const kubeconfig = c.token ? await server.kubeconfigWithToken(c.token) : server.kubeconfigPath
        const run = await runKpx([...c.args, '--kubeconfig', kubeconfig])
        expectOneLineError(run, c.message)
        // The same error in --json is the error document on stdout.
        const json = await runKpx([...c.args, '--kubeconfig', kubeconfig, '--json'])
        expect(json.code).to.equal(CLUSTER)
        expect((JSON.parse(json.stdout) as {error: {exitCode: number}}).error.exitCode).to.equal(CLUSTER)
      } finally {
        await server.close()
      }
    })
  }

  it('a server that is down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kpxI-down-'))
    try {
      const server = await startFakeApiServer(ghostScenario())
      const kubeconfig = join(dir, 'kubeconfig')
      await writeFile(kubeconfig, await readFile(server.kubeconfigPath))
      await server.close()
      const run = await runKpx(['check', '--all-nodes', '--kubeconfig', kubeconfig])
      expectOneLineError(run, /127\.0\.0\.1/)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('no kubeconfig at all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kpxI-nokube-'))
    try {
      const run = await runKpx(['check', '--all-nodes'], {env: {HOME: dir, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: ''}})
      expectOneLineError(run, /kubeconfig/i)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

function kubectl(args: string[], input: string): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', args, {timeout: 30_000}, (error, stdout, stderr) => resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr}))
    child.stdin?.end(input)
  })
}

describe('e2e: kpx rbac output is manifests kubectl accepts', function () {
  this.timeout(60_000)
  before(() => requireBuild())

  const expected: {transport: string; objects: string[]; verbs: RegExp}[] = [
    {transport: 'kube-proxy', objects: ['ClusterRole/kpx-read', 'ClusterRoleBinding/kpx-read', 'Role/kpx', 'RoleBinding/kpx'], verbs: /pods\/exec/},
    {transport: 'debug-pod', objects: ['ClusterRole/kpx-read', 'ClusterRoleBinding/kpx-read', 'Role/kpx', 'RoleBinding/kpx'], verbs: /"delete"/},
    {transport: 'all', objects: ['ClusterRole/kpx-read', 'ClusterRoleBinding/kpx-read', 'Role/kpx', 'RoleBinding/kpx'], verbs: /pods\/exec[\s\S]*"delete"|"delete"[\s\S]*pods\/exec/},
  ]

  for (const want of expected) {
    it(`--transport ${want.transport}: kubectl create --dry-run=client reads every document`, async () => {
      const rbac = await runKpx(['rbac', '--transport', want.transport, '--service-account', 'ci/kpx'])
      expect(rbac.code, explainRun(rbac)).to.equal(0)
      expect(rbac.stdout).to.match(want.verbs)
      const discovery = await startRbacDiscovery()
      try {
        const r = await kubectl(['--server', discovery.url, 'create', '--dry-run=client', '--validate=false', '-f', '-', '-o', 'json'], rbac.stdout)
        expect(r.code, r.stderr).to.equal(0)
        // kubectl prints one pretty-printed object per document, back to back.
        const items = r.stdout.split(/(?<=^\})\n(?=\{)/m).map((doc) => JSON.parse(doc) as {kind: string; metadata: {name: string}; subjects?: unknown[]})
        expect(items.map((i) => `${i.kind}/${i.metadata.name}`).sort()).to.deep.equal(want.objects)
        for (const binding of items.filter((i) => i.kind.endsWith('Binding'))) {
          expect(binding.subjects).to.deep.equal([{kind: 'ServiceAccount', name: 'kpx', namespace: 'ci'}])
        }
      } finally {
        await discovery.close()
      }
    })
  }

  it('against the fake API server, kubectl parses every document (and names each unknown kind)', async () => {
    const server: FakeApiServer = await startFakeApiServer(ghostScenario())
    try {
      const rbac = await runKpx(['rbac'])
      const r = await kubectl(['--kubeconfig', server.kubeconfigPath, 'create', '--dry-run=client', '--validate=false', '-f', '-'], rbac.stdout)
      // The fake serves only what kpx reads, so the mapping fails — but after parsing each document.
      for (const name of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) expect(r.stderr).to.include(`no matches for kind "${name}"`)
      expect(r.stderr).to.not.match(/yaml|json: cannot unmarshal|error converting/i)
    } finally {
      await server.close()
    }
  })
})
