/**
 * The client-node implementation against the protocol-faithful fake API server: REST lists with
 * paging, retries, error mapping, exec over WebSocket, capture and debug pods.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'
import {WebSocketServer} from 'ws'

import {captureSnapshot} from '../../../src/lib/cluster/capture.js'
import {CleanupRegistry} from '../../../src/lib/cluster/cleanup.js'
import {Cluster, type ClusterClient} from '../../../src/lib/cluster/client.js'
import {cleanupDebugPods, MANAGED_BY_LABEL} from '../../../src/lib/cluster/debug-pod.js'
import {execCapture} from '../../../src/lib/cluster/exec.js'
import {KubeClusterClient} from '../../../src/lib/cluster/k8s-client.js'
import {loadKubeConfig} from '../../../src/lib/cluster/kubeconfig.js'
import {KpxError} from '../../../src/lib/errors.js'
import type {Pod} from '../../../src/lib/snapshot/types.js'
import {type FakeApiServer, type Scenario, startFakeApiServer} from '../../helpers/fake-apiserver.js'
import * as s from './scenario.js'

const baseObjects = [s.node('a', '192.168.49.2'), s.node('b', '192.168.49.3'), s.kubeProxyPod('a'), s.kubeProxyPod('b'), s.kubeProxyConfigMap, s.kubeProxyDaemonSet, s.service, s.endpointSlice]

async function withServer(scenario: Partial<Scenario>, body: (srv: FakeApiServer, client: ClusterClient) => Promise<void>): Promise<void> {
  const srv = await startFakeApiServer({objects: baseObjects, execOutputs: {...s.nftNodeOutputs('a'), ...s.nftNodeOutputs('b')}, ...scenario})
  try {
    await body(srv, await Cluster.connect({kubeconfig: srv.kubeconfigPath}))
  } finally {
    await srv.close()
  }
}

async function errorOf(promise: Promise<unknown>): Promise<KpxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected a rejection').to.be.instanceOf(KpxError)
  return error as KpxError
}

describe('cluster against the fake API server', function () {
  this.timeout(30_000)

  describe('API reads', () => {
    it('lists nodes, services, endpointslices, pods as plain API JSON', () =>
      withServer({}, async (_srv, client) => {
        expect((await client.listNodes()).map((n) => n.metadata.name)).to.deep.equal(['a', 'b'])
        const [svc] = await client.listServices()
        expect(svc).to.deep.include({kind: 'Service', spec: {...s.service.spec}})
        const [slice] = await client.listEndpointSlices('ns1')
        expect(slice.endpoints?.[0]).to.deep.equal(s.endpointSlice.endpoints[0])
        expect((await client.listPods('kube-system')).map((p) => p.metadata.name)).to.deep.equal(['kube-proxy-a', 'kube-proxy-b'])
        expect(await client.getPod('kube-system', 'nope')).to.equal(undefined)
      }))

    it('reads kube-proxy config and image; finds the kube-proxy pod by spec.nodeName', () =>
      withServer({}, async (_srv, client) => {
        const config = await client.getKubeProxyConfig()
        expect({mode: config?.mode, clusterCIDR: config?.clusterCIDR}).to.deep.equal({mode: '', clusterCIDR: '10.244.0.0/16'})
        expect(await client.getKubeProxyImage()).to.equal(s.KUBE_PROXY_IMAGE)
        const pod = await client.findKubeProxyPod('b', {namespace: 'kube-system', selector: 'k8s-app=kube-proxy'})
        expect(pod?.metadata.name).to.equal('kube-proxy-b')
      }))

    it('pages big lists with limit/continue', async () => {
      const pods = Array.from({length: 7}, (_, i) => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: `web-${i}`, namespace: 'shop'}, spec: {nodeName: 'a', containers: [{name: 'c'}]}, status: {phase: 'Running'}}))
      const srv = await startFakeApiServer({objects: [...baseObjects, ...pods]})
      try {
        const loaded = loadKubeConfig({kubeconfig: srv.kubeconfigPath})
        const client = new KubeClusterClient(loaded.kc, {server: loaded.server, namespace: 'default', pageSize: 3})
        expect((await client.listPods('shop')).map((p) => p.metadata.name).sort()).to.deep.equal(pods.map((p) => p.metadata.name).sort())
        const pages = srv.requests.filter((r) => r.path === '/api/v1/namespaces/shop/pods')
        expect(pages.map((r) => new URLSearchParams(r.query).has('continue'))).to.deep.equal([false, true, true])
      } finally {
        await srv.close()
      }
    })

    it('retries a throttled list (429, Retry-After) and succeeds', () =>
      withServer({faults: {throttle: [{path: '/api/v1/nodes', times: 2}]}}, async (srv, client) => {
        expect(await client.listNodes()).to.have.length(2)
        expect(srv.requests.filter((r) => r.path === '/api/v1/nodes')).to.have.length(3)
      }))
  })

  describe('errors are one line with exit code 3', () => {
    it('401: expired token', () =>
      withServer({faults: {token: 'good'}}, async (srv) => {
        const client = await Cluster.connect({kubeconfig: await srv.kubeconfigWithToken('expired')})
        const error = await errorOf(client.listNodes())
        expect([error.message, error.code, error.exitCode]).to.deep.equal([`credentials rejected by ${srv.url} (expired token?)`, 'unauthorized', 3])
      }))

    it('403: names the verb, resource and scope refused', () =>
      withServer({faults: {forbid: [{verb: 'list', resource: 'services'}]}}, async (_srv, client) => {
        const error = await errorOf(client.listServices())
        expect([error.message, error.exitCode]).to.deep.equal(['RBAC: forbidden to list services at cluster scope', 3])
        expect(error.suggestions.join()).to.match(/kpx rbac/)
      }))

    it('server down: cannot reach the API server at URL', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kpxC-down-'))
      try {
        const probe = createServer()
        await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
        const port = (probe.address() as AddressInfo).port
        await new Promise((resolve) => probe.close(resolve))
        const file = join(dir, 'kubeconfig')
        writeFileSync(file, JSON.stringify({clusters: [{name: 'c', cluster: {server: `http://127.0.0.1:${port}`}}], users: [{name: 'u', user: {token: 't'}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}], 'current-context': 'x'}))
        const client = await Cluster.connect({kubeconfig: file})
        const error = await errorOf(client.listNodes())
        expect([error.message, error.exitCode]).to.deep.equal([`cannot reach the API server at http://127.0.0.1:${port} (ECONNREFUSED)`, 3])
        const execError = await errorOf(client.exec('kube-system', 'kube-proxy-a', 'kube-proxy', ['true'], {timeoutMs: 5000}))
        expect(execError.message).to.equal(`cannot reach the API server at http://127.0.0.1:${port} (ECONNREFUSED)`)
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
  })

  describe('execCapture', () => {
    it('success: stdout and exit code 0', () =>
      withServer({}, async (_srv, client) => {
        const result = await client.exec('kube-system', 'kube-proxy-a', 'kube-proxy', ['iptables-nft-save'], {timeoutMs: 5000})
        expect(result).to.deep.equal({stdout: s.CORPUS_RULES, stderr: '', exitCode: 0})
      }))

    it('non-zero exit is data: the code from the Status causes, stderr kept', () =>
      withServer({faults: {execFail: ['b']}}, async (_srv, client) => {
        const result = await client.exec('kube-system', 'kube-proxy-b', 'kube-proxy', ['iptables-nft-save'], {timeoutMs: 5000})
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.match(/exec failure injected for node b/)
      }))

    it('a binary missing from the image exits 127 with the runtime message', () =>
      withServer({}, async (_srv, client) => {
        const result = await client.exec('kube-system', 'kube-proxy-a', 'kube-proxy', ['ipvsadm-save'], {timeoutMs: 5000})
        expect(result.exitCode).to.equal(127)
        expect(result.message).to.match(/"ipvsadm-save": executable file not found/)
      }))

    it('a hanging command times out and the socket is closed', () =>
      withServer({faults: {execHang: ['b']}}, async (_srv, client) => {
        const started = Date.now()
        const error = await errorOf(client.exec('kube-system', 'kube-proxy-b', 'kube-proxy', ['iptables-nft-save'], {timeoutMs: 300}))
        expect(Date.now() - started).to.be.within(250, 3000)
        expect(error.code).to.equal('exec-timeout')
        expect(error.message).to.equal('exec in kube-system/kube-proxy-b (kube-proxy) timed out after 300 ms: iptables-nft-save')
      }))

    it('exec denied by RBAC: forbidden to create pods/exec in the namespace', () =>
      withServer({faults: {forbid: [{verb: 'create', resource: 'pods/exec'}]}}, async (_srv, client) => {
        const error = await errorOf(client.exec('kube-system', 'kube-proxy-a', 'kube-proxy', ['true'], {timeoutMs: 5000}))
        expect(error.message).to.equal('RBAC: forbidden to create pods/exec in namespace kube-system')
      }))

    it('a socket closed without an exit status is an error, not a success', async () => {
      // A server that accepts the exec upgrade, sends some stdout, and hangs up without a Status.
      const wss = new WebSocketServer({port: 0, host: '127.0.0.1', handleProtocols: (p) => [...p][0]})
      const dir = mkdtempSync(join(tmpdir(), 'kpxC-close-'))
      try {
        wss.on('connection', (ws) => {
          ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('partial')]))
          setTimeout(() => ws.close(), 20)
        })
        await new Promise((resolve) => wss.once('listening', resolve))
        const file = join(dir, 'kubeconfig')
        const server = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`
        writeFileSync(file, JSON.stringify({clusters: [{name: 'c', cluster: {server}}], users: [{name: 'u', user: {}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}], 'current-context': 'x'}))
        const {kc} = loadKubeConfig({kubeconfig: file})
        const error = await errorOf(execCapture(kc, 'ns', 'p', 'c', ['iptables-save'], {timeoutMs: 5000}))
        expect(error.code).to.equal('exec-closed')
        expect(error.message).to.equal('exec in ns/p (c): connection closed before the command reported an exit status')
      } finally {
        await new Promise((resolve) => wss.close(resolve))
        rmSync(dir, {recursive: true, force: true})
      }
    })
  })

  describe('captureSnapshot', () => {
    it('two nodes, one failing: the other is captured, the failure recorded', () =>
      withServer({faults: {execFail: ['b']}}, async (_srv, client) => {
        const {snapshot, failures} = await captureSnapshot(client, {allNodes: true, transport: 'kube-proxy', nodeTimeoutMs: 10_000})
        const [a, b] = snapshot.nodes
        expect(a.iptables?.text).to.equal(s.CORPUS_RULES)
        expect(a.addresses).to.deep.equal(['127.0.0.1', '192.168.49.2'])
        expect(a.meta).to.include({transport: 'kube-proxy-exec', backend: 'nft', kubeProxyVersion: 'v1.32.0', kubeProxyMode: 'iptables'})
        expect(failures.map((f) => [f.node, f.code])).to.deep.equal([['b', 'no-iptables-save']])
        expect(b.meta?.error).to.match(/no iptables-save variant could run/)
        expect(snapshot.cluster?.services.map((x) => x.metadata.name)).to.deep.equal(['svc1'])
        expect(snapshot.cluster?.endpointSlices).to.have.length(1)
        expect(snapshot.cluster?.configMaps.map((c) => c.metadata.name)).to.deep.equal(['kube-proxy'])
      }))

    it('a node whose exec hangs is cut at the node timeout; the other still reports', () =>
      withServer({faults: {execHang: ['b']}}, async (_srv, client) => {
        const {snapshot, failures} = await captureSnapshot(client, {allNodes: true, transport: 'kube-proxy', nodeTimeoutMs: 1000})
        expect(snapshot.nodes[0].iptables?.text).to.equal(s.CORPUS_RULES)
        expect(failures.map((f) => f.node)).to.deep.equal(['b'])
        expect(failures[0].code).to.be.oneOf(['node-timeout', 'exec-timeout'])
      }))

    it('debug-pod transport: pod created with the right spec, used under chroot, then deleted', () =>
      withServer({objects: [s.node('k3s', '10.0.0.5'), s.kubeProxyDaemonSet], execOutputs: s.nftNodeOutputs('k3s')}, async (srv, client) => {
        const createdOnServer: Pod[] = []
        const createPod = client.createPod.bind(client)
        client.createPod = async (manifest) => {
          const pod = await createPod(manifest)
          createdOnServer.push(pod)
          return pod
        }
        const registry = new CleanupRegistry()
        const {snapshot, failures} = await captureSnapshot(client, {allNodes: true, transport: 'debug-pod', registry, sessionId: 'abcd1234'})
        expect(failures).to.deep.equal([])
        expect(snapshot.nodes[0].iptables?.text).to.equal(s.CORPUS_RULES)
        expect(snapshot.nodes[0].meta?.transport).to.equal('debug-pod')
        const spec = (createdOnServer[0] as unknown as {spec: Record<string, unknown>}).spec
        expect(createdOnServer[0].metadata).to.deep.include({name: 'kpx-debug-abcd1234-k3s', namespace: 'kube-system'})
        expect(createdOnServer[0].metadata.labels).to.deep.include({[MANAGED_BY_LABEL]: 'kpx', 'kpx.dev/session': 'abcd1234'})
        expect(spec).to.deep.include({nodeName: 'k3s', hostNetwork: true, hostPID: true, activeDeadlineSeconds: 300, tolerations: [{operator: 'Exists'}]})
        const [container] = spec.containers as {image: string; command: string[]; securityContext: object; volumeMounts: object[]}[]
        expect(container).to.deep.include({image: s.KUBE_PROXY_IMAGE, command: ['sleep', '300'], securityContext: {privileged: true}})
        expect(container.volumeMounts).to.deep.equal([{name: 'host-root', mountPath: '/host', readOnly: true}])
        expect(spec.volumes).to.deep.equal([{name: 'host-root', hostPath: {path: '/'}}])
        const execs = srv.requests.filter((r) => r.path.endsWith('/pods/kpx-debug-abcd1234-k3s/exec'))
        expect(execs.length).to.be.greaterThan(0)
        expect(execs.every((r) => new URLSearchParams(r.query).getAll('command').slice(0, 2).join(' ') === 'chroot /host')).to.equal(true)
        expect(srv.pods()).to.deep.equal([])
      }))

    it('debug pod that never starts: the node fails after its timeout and the pod is still deleted', () =>
      withServer({objects: [s.node('k3s', '10.0.0.5')], faults: {podsNeverRun: true}}, async (srv, client) => {
        const {failures} = await captureSnapshot(client, {allNodes: true, transport: 'debug-pod', nodeTimeoutMs: 800})
        expect(failures.map((f) => f.node)).to.deep.equal(['k3s'])
        // The delete runs when the node's read settles, possibly just after the timeout answered.
        for (let i = 0; i < 50 && srv.pods().length > 0; i++) await new Promise((r) => setTimeout(r, 50))
        expect(srv.pods()).to.deep.equal([])
      }))

    it('cleanupDebugPods removes leftovers by label and leaves other pods alone', () =>
      withServer({}, async (srv, client) => {
        await client.createPod({metadata: {name: 'kpx-debug-old-a', namespace: 'kube-system', labels: {[MANAGED_BY_LABEL]: 'kpx', 'kpx.dev/role': 'node-debug', 'kpx.dev/session': 'old'}}, spec: {nodeName: 'a', containers: [{name: 'debug', image: 'busybox'}]}})
        const deleted = await cleanupDebugPods(client)
        expect(deleted).to.deep.equal(['kube-system/kpx-debug-old-a'])
        expect((srv.pods() as Pod[]).map((p) => p.metadata.name).sort()).to.deep.equal(['kube-proxy-a', 'kube-proxy-b'])
      }))
  })
})
