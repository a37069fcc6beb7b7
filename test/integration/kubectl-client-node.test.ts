/**
 * The fake API server seen through @kubernetes/client-node 1.x, the client kpx itself uses:
 * typed lists and errors, paging, watch, the pod lifecycle kpx's debug-pod transport relies on,
 * and exec over WebSocket (client-node's Exec, plus raw v4/base64 framing).
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {Writable} from 'node:stream'

import {ApiException, CoreV1Api, DiscoveryV1Api, Exec, KubeConfig, type V1Pod, type V1Status, Watch} from '@kubernetes/client-node'
import {expect} from 'chai'
import WebSocket from 'ws'

import {type FakeApiServer, type Scenario, startFakeApiServer} from '../helpers/fake-apiserver.js'
import {minimalScenario} from '../helpers/fake-apiserver-scenarios.js'
import {CORPUS_DIR} from '../helpers/corpus.js'

const CORPUS_RULES = `${CORPUS_DIR}/TestOverallIPTablesRules.rules`
const loadScenario = (): Scenario => minimalScenario()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function kubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(path)
  return kc
}

/** Status body of a failed client-node call (client-node 1.x hands it over as text). */
function statusOf(error: unknown): {code: number; body: {reason?: string; message?: string; details?: unknown}; headers: Record<string, string>} {
  expect(error).to.be.instanceOf(ApiException)
  const e = error as ApiException<unknown>
  const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body
  return {code: e.code, body, headers: e.headers}
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

class Sink extends Writable {
  text = ''
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

/** Runs client-node's Exec and waits for the Status (exec() itself resolves when the socket opens). */
async function execViaClientNode(kc: KubeConfig, ns: string, pod: string, argv: string[], timeoutMs = 5000): Promise<{stdout: string; stderr: string; status?: V1Status}> {
  const [stdout, stderr] = [new Sink(), new Sink()]
  let status: V1Status | undefined
  const ws = await new Exec(kc).exec(ns, pod, 'kube-proxy', argv, stdout, stderr, null, false, (s) => (status = s))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('exec timed out')), timeoutMs)
    ws.on('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  return {stdout: stdout.text, stderr: stderr.text, status}
}

async function waitForPhase(api: CoreV1Api, ns: string, name: string, phase: string, timeoutMs = 3000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const pod = await api.readNamespacedPod({namespace: ns, name})
    if (pod.status?.phase === phase || Date.now() > deadline) return pod
    await sleep(25)
  }
}

describe('fake apiserver through @kubernetes/client-node', () => {
  let server: FakeApiServer
  let kc: KubeConfig
  let core: CoreV1Api
  before(async () => {
    server = await startFakeApiServer({
      ...loadScenario(),
      execOutputs: {'node-b:iptables-save': {stdout: '*nat\nCOMMIT\n', stderr: 'warn\n'}, 'node-b:false': {stdout: '', exitCode: 3}},
    })
    kc = kubeConfig(server.kubeconfigPath)
    core = kc.makeApiClient(CoreV1Api)
  })
  after(() => server.close())

  it('CoreV1Api lists pods in all namespaces and by label', async () => {
    const all = await core.listPodForAllNamespaces()
    expect(all.items.map((p) => p.metadata?.name).sort()).to.deep.equal(['ghost-5d8f7c9b4-abcde', 'ghost-5d8f7c9b4-fghij', 'kube-proxy-a1b2c', 'kube-proxy-d3e4f'])
    const proxies = await core.listNamespacedPod({namespace: 'kube-system', labelSelector: 'k8s-app=kube-proxy', fieldSelector: 'spec.nodeName=node-b'})
    expect(proxies.items.map((p) => p.metadata?.name)).to.deep.equal(['kube-proxy-d3e4f'])
  })

  it('DiscoveryV1Api lists EndpointSlices with their conditions', async () => {
    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({namespace: 'blog', labelSelector: 'kubernetes.io/service-name=ghost'})
    expect(slices.items).to.have.length(1)
    expect(slices.items[0].endpoints.map((e) => [e.addresses[0], e.nodeName, e.conditions?.ready])).to.deep.equal([
      ['10.244.0.5', 'node-a', true],
      ['10.244.1.7', 'node-b', true],
    ])
  })

  it('pages: limit gives a continue token and remainingItemCount; following it yields the rest', async () => {
    const first = await core.listPodForAllNamespaces({limit: 3})
    expect(first.items).to.have.length(3)
    expect(first.metadata?.remainingItemCount).to.equal(1)
    const rest = await core.listPodForAllNamespaces({limit: 3, _continue: first.metadata?._continue})
    expect(rest.items).to.have.length(1)
    expect(rest.metadata?._continue).to.equal(undefined)
    const names = [...first.items, ...rest.items].map((p) => p.metadata?.name)
    expect(new Set(names).size).to.equal(4)
  })

  it('a missing pod is a 404 NotFound Status', async () => {
    const s = statusOf(await rejection(core.readNamespacedPod({namespace: 'blog', name: 'nope'})))
    expect(s.code).to.equal(404)
    expect(s.body).to.deep.include({reason: 'NotFound', message: 'pods "nope" not found'})
    expect(s.body.details).to.deep.equal({name: 'nope', kind: 'pods'})
  })

  it('creates a pod from generateName; it turns Running, and its name is taken (409)', async () => {
    const pod = await core.createNamespacedPod({
      namespace: 'kube-system',
      body: {metadata: {generateName: 'kpx-debug-', labels: {'app.kubernetes.io/managed-by': 'kpx'}}, spec: {nodeName: 'node-a', hostNetwork: true, containers: [{name: 'debug', image: 'busybox'}]}},
    })
    const name = pod.metadata!.name!
    expect(name).to.match(/^kpx-debug-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    expect(pod.status?.phase).to.equal('Pending')
    const running = await waitForPhase(core, 'kube-system', name, 'Running')
    expect(running.status?.phase).to.equal('Running')
    expect(running.status?.podIP).to.equal('192.168.49.2') // hostNetwork: the node's InternalIP
    const dup = statusOf(await rejection(core.createNamespacedPod({namespace: 'kube-system', body: {metadata: {name}, spec: {containers: [{name: 'c'}]}}})))
    expect(dup.code).to.equal(409)
    expect(dup.body.reason).to.equal('AlreadyExists')
    await core.deleteNamespacedPod({namespace: 'kube-system', name, gracePeriodSeconds: 0})
    expect(server.pods().map((p) => (p as V1Pod).metadata?.name)).not.to.include(name)
    expect(statusOf(await rejection(core.readNamespacedPod({namespace: 'kube-system', name}))).code).to.equal(404)
  })

  it('activeDeadlineSeconds fails the pod with DeadlineExceeded', async () => {
    const pod = await core.createNamespacedPod({namespace: 'default', body: {metadata: {name: 'deadline'}, spec: {activeDeadlineSeconds: 1, nodeName: 'node-a', containers: [{name: 'c'}]}}})
    const failed = await waitForPhase(core, 'default', pod.metadata!.name!, 'Failed')
    expect(failed.status).to.deep.include({phase: 'Failed', reason: 'DeadlineExceeded'})
    await core.deleteNamespacedPod({namespace: 'default', name: 'deadline'})
  })

  it('deletecollection removes exactly the pods matching the label selector', async () => {
    for (const n of ['x1', 'x2']) await core.createNamespacedPod({namespace: 'default', body: {metadata: {name: n, labels: {owner: 'kpx'}}, spec: {containers: [{name: 'c'}]}}})
    await core.createNamespacedPod({namespace: 'default', body: {metadata: {name: 'keep'}, spec: {containers: [{name: 'c'}]}}})
    await core.deleteCollectionNamespacedPod({namespace: 'default', labelSelector: 'owner=kpx'})
    const left = server.pods().map((p) => (p as V1Pod).metadata?.name)
    expect(left).to.include('keep').and.not.include('x1').and.not.include('x2')
    await core.deleteNamespacedPod({namespace: 'default', name: 'keep'})
  })

  it('watch streams ADDED, MODIFIED (Running) and DELETED for a new pod', async () => {
    const events: string[] = []
    const ctl = await new Watch(kc).watch('/api/v1/namespaces/default/pods', {resourceVersion: '1'}, (type, obj: V1Pod) => events.push(`${type} ${obj.metadata?.name} ${obj.status?.phase}`), () => {})
    await core.createNamespacedPod({namespace: 'default', body: {metadata: {name: 'watched'}, spec: {containers: [{name: 'c'}]}}})
    await waitForPhase(core, 'default', 'watched', 'Running')
    await core.deleteNamespacedPod({namespace: 'default', name: 'watched'})
    await sleep(50)
    ctl.abort()
    expect(events).to.deep.equal(['ADDED watched Pending', 'MODIFIED watched Running', 'DELETED watched Running'])
  })

  it('Exec gets stdout, stderr and the Success Status', async () => {
    const r = await execViaClientNode(kc, 'kube-system', 'kube-proxy-d3e4f', ['iptables-save'])
    expect(r).to.deep.equal({stdout: '*nat\nCOMMIT\n', stderr: 'warn\n', status: {metadata: {}, status: 'Success'}})
  })

  it('Exec of a failing command gets the NonZeroExitCode Status with the code as a cause', async () => {
    const r = await execViaClientNode(kc, 'kube-system', 'kube-proxy-d3e4f', ['false'])
    expect(r.status).to.deep.include({status: 'Failure', reason: 'NonZeroExitCode'})
    expect(r.status?.details?.causes).to.deep.equal([{reason: 'ExitCode', message: '3'}])
  })

  const rawProtocols: {protocol: string; decode: (d: WebSocket.RawData, binary: boolean) => [number, string]}[] = [
    {protocol: 'v4.channel.k8s.io', decode: (d) => [(d as Buffer)[0], (d as Buffer).subarray(1).toString()]},
    {protocol: 'v4.base64.channel.k8s.io', decode: (d) => [Number(d.toString()[0]), Buffer.from(d.toString().slice(1), 'base64').toString()]},
  ]
  for (const {protocol, decode} of rawProtocols) {
    it(`raw ${protocol} framing: stdout on 1, stderr on 2, Status on 3, then close`, async () => {
      const url = `${server.url.replace('https', 'wss')}/api/v1/namespaces/kube-system/pods/kube-proxy-d3e4f/exec?command=iptables-save&container=kube-proxy&stdout=1&stderr=1`
      const ca = Buffer.from(kc.getCurrentCluster()!.caData!, 'base64')
      const ws = new WebSocket(url, [protocol], {headers: {Authorization: 'Bearer fake-token'}, ca})
      const frames: [number, string][] = []
      ws.on('message', (d, binary) => frames.push(decode(d, binary)))
      const code = await new Promise<number>((resolve) => ws.on('close', resolve))
      expect(ws.protocol).to.equal(protocol)
      expect(code).to.equal(1000)
      expect(frames).to.deep.equal([[1, '*nat\nCOMMIT\n'], [2, 'warn\n'], [3, '{"metadata":{},"status":"Success"}']])
    })
  }

  it('exec on a missing pod is refused before the upgrade (404), and the client sees it', async () => {
    const err = (await rejection(execViaClientNode(kc, 'kube-system', 'ghost', ['ls']))) as {message?: string}
    expect(err.message).to.match(/404/)
    expect(server.requests.at(-1)).to.deep.include({path: '/api/v1/namespaces/kube-system/pods/ghost/exec'})
  })
})

describe('fake apiserver faults through @kubernetes/client-node', () => {
  const servers: FakeApiServer[] = []
  const start = async (faults: Scenario['faults'], extra: Partial<Scenario> = {}) => {
    const s = await startFakeApiServer({...loadScenario(), ...extra, faults})
    servers.push(s)
    return s
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('401 for a wrong token over TLS; the right token works', async () => {
    const server = await start({token: 's3cret'})
    expect(server.url).to.match(/^https:/)
    const good = kubeConfig(server.kubeconfigPath).makeApiClient(CoreV1Api)
    expect((await good.listNode()).items).to.have.length(2)
    const bad = kubeConfig(await server.kubeconfigWithToken('expired')).makeApiClient(CoreV1Api)
    expect(statusOf(await rejection(bad.listNode())).code).to.equal(401)
  })

  it('403 Status names verb, resource and namespace', async () => {
    const server = await start({forbid: [{verb: 'get', resource: 'pods', namespace: 'kube-system'}]})
    const api = kubeConfig(server.kubeconfigPath).makeApiClient(CoreV1Api)
    const s = statusOf(await rejection(api.readNamespacedPod({namespace: 'kube-system', name: 'kube-proxy-a1b2c'})))
    expect(s.code).to.equal(403)
    expect(s.body.message).to.equal('pods "kube-proxy-a1b2c" is forbidden: User "system:serviceaccount:kpx:kpx" cannot get resource "pods" in API group "" in the namespace "kube-system"')
  })

  it('429 carries Retry-After, then the same call succeeds', async () => {
    const server = await start({throttle: [{path: '/api/v1/nodes', times: 1}]})
    const api = kubeConfig(server.kubeconfigPath).makeApiClient(CoreV1Api)
    const s = statusOf(await rejection(api.listNode()))
    expect(s.code).to.equal(429)
    expect(s.headers['retry-after']).to.equal('1')
    expect(s.body.reason).to.equal('TooManyRequests')
    expect((await api.listNode()).items).to.have.length(2)
  })

  it('podsNeverRun: a created pod stays Pending', async () => {
    const server = await start({podsNeverRun: true})
    const api = kubeConfig(server.kubeconfigPath).makeApiClient(CoreV1Api)
    await api.createNamespacedPod({namespace: 'default', body: {metadata: {name: 'stuck'}, spec: {nodeName: 'node-a', containers: [{name: 'c'}]}}})
    await sleep(300)
    expect((await api.readNamespacedPod({namespace: 'default', name: 'stuck'})).status?.phase).to.equal('Pending')
  })

  it('execHang: the socket opens but no Status comes; close() ends the session', async () => {
    const server = await start({execHang: ['node-a']})
    const kc = kubeConfig(server.kubeconfigPath)
    let status: V1Status | undefined
    const ws = await new Exec(kc).exec('kube-system', 'kube-proxy-a1b2c', 'kube-proxy', ['iptables-save'], new Sink(), new Sink(), null, false, (s) => (status = s))
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()))
    await sleep(300)
    expect(status).to.equal(undefined)
    expect(ws.readyState).to.equal(WebSocket.OPEN)
    await server.close()
    await closed
  })
})

describe('fake apiserver exec in a kpxF- network namespace through client-node', function () {
  const netns = `kpxF-${process.pid}-cn`
  let server: FakeApiServer | undefined
  before(async function () {
    if (process.getuid?.() !== 0) {
      const msg = 'SKIPPED LOUDLY: client-node exec in a network namespace needs root (ip netns)'
      if (process.env.CI) throw new Error(`${msg} — and CI is set, so this is a failure`)
      console.warn(`\n  !!! ${msg}\n`)
      this.skip()
    }
    execFileSync('ip', ['netns', 'add', netns])
    execFileSync('ip', ['netns', 'exec', netns, 'iptables-restore'], {input: readFileSync(CORPUS_RULES)})
    server = await startFakeApiServer({...loadScenario(), nodeNamespaces: {'node-a': netns}})
  })
  after(async () => {
    await server?.close()
    if (process.getuid?.() === 0) execFileSync('ip', ['netns', 'delete', netns], {stdio: 'ignore'})
  })

  it('iptables-save via Exec returns the kernel\'s rules and a Success Status', async () => {
    const r = await execViaClientNode(kubeConfig(server!.kubeconfigPath), 'kube-system', 'kube-proxy-a1b2c', ['iptables-save'])
    const rules = (t: string) => t.split('\n').filter((l) => l.startsWith('-A ')).sort()
    expect(rules(r.stdout)).to.deep.equal(rules(readFileSync(CORPUS_RULES, 'utf8')))
    expect(r.status).to.deep.equal({metadata: {}, status: 'Success'})
  })

  it('a debug pod\'s `chroot /host CMD` runs CMD in the node\'s namespace', async () => {
    const kc = kubeConfig(server!.kubeconfigPath)
    const api = kc.makeApiClient(CoreV1Api)
    const pod = await api.createNamespacedPod({namespace: 'kube-system', body: {metadata: {generateName: 'kpx-node-debug-'}, spec: {nodeName: 'node-a', containers: [{name: 'kube-proxy'}]}}})
    await waitForPhase(api, 'kube-system', pod.metadata!.name!, 'Running')
    const r = await execViaClientNode(kc, 'kube-system', pod.metadata!.name!, ['chroot', '/host', 'iptables-save', '-t', 'nat'])
    expect(r.stdout).to.include('-A KUBE-SERVICES')
    expect(r.stdout).not.to.include('*filter')
    await api.deleteNamespacedPod({namespace: 'kube-system', name: pod.metadata!.name!})
  })
})
