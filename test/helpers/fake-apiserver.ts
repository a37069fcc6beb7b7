/**
 * A fake kube-apiserver for tests that speaks the real protocol on 127.0.0.1: discovery,
 * list/get/watch with selectors and paging, Table printing for kubectl, pod create/delete, and exec
 * over WebSocket (v4/v5 channel protocols) that runs commands inside the network namespace
 * standing for the pod's node. Its fidelity is checked with the real kubectl in
 * test/integration/kubectl.test.ts. Faults (401, 403, 429, hanging/failing exec, pods that never
 * start) are declared in the scenario.
 *
 * It serves HTTPS with a throwaway self-signed certificate whose CA is in the kubeconfig: both real
 * clients refuse credentials over plain HTTP (client-go silently drops the bearer token;
 * client-node throws "HTTP protocol is not allowed when skipTLSVerify is not set").
 *
 * The server runs in the test's own process: run kubectl or the kpx binary against it with the
 * async child_process API (execFile/spawn), never execFileSync/spawnSync, which block the event
 * loop the server needs (kubectl then fails with "TLS handshake timeout").
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import type {IncomingMessage, RequestListener, Server, ServerResponse} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Duplex} from 'node:stream'

import {VERSION_INFO, apiGroup, apiGroupList, apiResourceList, coreVersions, findResource} from './fake-apiserver-discovery.js'
import {type ExecPlan, chooseProtocol, createExecServer, upgradeToExec} from './fake-apiserver-exec.js'
import {type Reply, type ResourceRequest, createObject, deleteCollection, deleteObject, getObject, listObjects, watchObjects} from './fake-apiserver-rest.js'
import type {KubeObject} from './fake-apiserver-selectors.js'
import {type StatusBody, badRequest, forbidden, methodNotAllowed, notFound, pathNotFound, tooManyRequests, unauthorized} from './fake-apiserver-status.js'
import {ObjectStore} from './fake-apiserver-store.js'
import {type TlsMaterial, selfSignedCertificate} from './fake-apiserver-tls.js'

export interface Scenario {
  /** Nodes, Services, EndpointSlices, Endpoints, Pods, ConfigMaps, DaemonSets (plain API JSON; v1 Lists are flattened). */
  objects: unknown[]
  /** node name → network namespace where exec runs (`ip netns exec NS ...`). */
  nodeNamespaces?: Record<string, string>
  /** Canned exec output keyed by `node:argv joined with spaces`, used when the node has no netns. */
  execOutputs?: Record<string, {stdout: string; stderr?: string; exitCode?: number}>
  faults?: {
    /** Required bearer token; any other → 401 Unauthorized Status. */
    token?: string
    /** → 403 Forbidden naming verb and resource. Exec is verb "create" on resource "pods/exec". */
    forbid?: {verb: string; resource: string; namespace?: string}[]
    /** The first `times` requests to `path` (no query) → 429 with Retry-After: 1. */
    throttle?: {path: string; times: number}[]
    /** Node names whose exec never completes. */
    execHang?: string[]
    /** Node names whose exec exits 1 (Status Failure, NonZeroExitCode). */
    execFail?: string[]
    /** Created pods stay Pending. */
    podsNeverRun?: boolean
  }
}

export interface FakeApiServer {
  url: string
  /** A temp kubeconfig whose current context 'fake' points here with the scenario's token. */
  kubeconfigPath: string
  /** Every request received, in order; `path` is the URL path without the query. */
  requests: {method: string; path: string; query: string}[]
  /** Current pods (plain API JSON, with kind/apiVersion). */
  pods(): unknown[]
  /** Writes another kubeconfig for this server with a different token (e.g. an expired one). */
  kubeconfigWithToken(token: string): Promise<string>
  close(): Promise<void>
}

/** The user name RBAC messages mention. */
export const FAKE_USER = 'system:serviceaccount:kpx:kpx'
const DEFAULT_TOKEN = 'fake-token'
const POD_START_DELAY_MS = 50

interface Route {
  def: NonNullable<ReturnType<typeof findResource>>
  namespace?: string
  name?: string
  subresource?: string
}

/** /api/v1/... or /apis/G/V/... → resource, namespace, name, subresource. */
function parseResourcePath(path: string): Route | undefined {
  const segs = path.split('/').filter(Boolean)
  let group = ''
  let rest: string[]
  if (segs[0] === 'api' && segs[1] === 'v1') rest = segs.slice(2)
  else if (segs[0] === 'apis' && segs.length >= 3) [group, rest] = [segs[1], segs.slice(3)]
  else return undefined
  const version = segs[0] === 'api' ? 'v1' : segs[2]
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const def = findResource(group, version, rest[2])
    return def && {def, namespace: rest[1], name: rest[3], subresource: rest[4]}
  }
  const def = findResource(group, version, rest[0] ?? '')
  return def && rest.length <= 2 ? {def, name: rest[1]} : undefined
}

function discovery(path: string, url: string): object | undefined {
  if (path === '/version') return VERSION_INFO
  // Aggregated discovery (apidiscovery.k8s.io/v2) is not offered: answering plain JSON with
  // Content-Type application/json is how an older server tells kubectl to fall back.
  if (path === '/api') return coreVersions(new URL(url).host)
  if (path === '/api/v1') return apiResourceList('', 'v1')
  if (path === '/apis') return apiGroupList()
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path)
  if (m) return m[2] ? apiResourceList(m[1], m[2]) : apiGroup(m[1])
  return undefined
}

function verbOf(method: string, route: Route, query: URLSearchParams): string {
  if (route.subresource === 'exec') return 'create'
  const watch = query.get('watch') === 'true' || query.get('watch') === '1'
  switch (method) {
    case 'GET':
      return route.name ? 'get' : watch ? 'watch' : 'list'
    case 'POST':
      return 'create'
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection'
    default:
      return method.toLowerCase()
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  if (chunks.length === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return null
  }
}

function sendJson(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  res.writeHead(reply.code, {'Content-Type': 'application/json', ...headers})
  res.end(JSON.stringify(reply.body))
}

/** Writes a Status as a raw HTTP response on a socket that asked for an upgrade. */
function rejectUpgrade(socket: Duplex, status: StatusBody): void {
  const body = JSON.stringify(status)
  const head = `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`
  socket.end(head + body)
}

class FakeApiServerImpl {
  readonly store: ObjectStore
  readonly requests: FakeApiServer['requests'] = []
  private readonly throttleLeft = new Map<string, number>()
  private readonly wss = createExecServer()
  url = ''

  constructor(private readonly scenario: Scenario) {
    this.store = new ObjectStore({startDelayMs: POD_START_DELAY_MS, neverRun: scenario.faults?.podsNeverRun ?? false})
    const unknown = this.store.load(scenario.objects)
    if (unknown.length > 0) throw new Error(`fake-apiserver: scenario has objects of unsupported kinds: ${unknown.join(', ')}`)
    for (const t of scenario.faults?.throttle ?? []) this.throttleLeft.set(t.path, t.times)
  }

  /** Checks shared by plain requests and exec upgrades: auth, throttling, RBAC. */
  private gate(req: IncomingMessage, path: string, route: Route | undefined, query: URLSearchParams): {status: StatusBody; headers?: Record<string, string>} | undefined {
    const token = this.scenario.faults?.token
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) return {status: unauthorized()}
    const left = this.throttleLeft.get(path) ?? 0
    if (left > 0) {
      this.throttleLeft.set(path, left - 1)
      return {status: tooManyRequests(1), headers: {'Retry-After': '1'}}
    }
    if (!route) return undefined
    const verb = verbOf(req.method ?? 'GET', route, query)
    const resource = route.subresource ? `${route.def.name}/${route.subresource}` : route.def.name
    const denied = (this.scenario.faults?.forbid ?? []).some(
      (f) => (f.verb === verb || f.verb === '*') && f.resource === resource && (f.namespace === undefined || f.namespace === route.namespace),
    )
    if (!denied) return undefined
    return {status: forbidden({user: FAKE_USER, verb, resource, group: route.def.group, namespace: route.namespace, name: route.name})}
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    this.requests.push({method: req.method ?? 'GET', path: url.pathname, query: url.search})
    const route = parseResourcePath(url.pathname)
    const denied = this.gate(req, url.pathname, route, url.searchParams)
    if (denied) return sendJson(res, {code: denied.status.code, body: denied.status}, denied.headers)
    const doc = req.method === 'GET' ? discovery(url.pathname, this.url) : undefined
    if (doc) return sendJson(res, {code: 200, body: doc})
    if (!route) return sendJson(res, {code: 404, body: pathNotFound()})
    if (route.subresource === 'exec') return sendJson(res, {code: 400, body: badRequest('Upgrade request required')})
    if (route.subresource) return sendJson(res, {code: 404, body: pathNotFound()})
    const rr: ResourceRequest = {def: route.def, namespace: route.namespace, name: route.name, query: url.searchParams, accept: req.headers.accept}
    const verb = verbOf(req.method ?? 'GET', route, url.searchParams)
    if (verb === 'watch') return watchObjects(this.store, rr, res, req)
    sendJson(res, await this.dispatch(verb, rr, req))
  }

  private async dispatch(verb: string, rr: ResourceRequest, req: IncomingMessage): Promise<Reply> {
    const named = rr as ResourceRequest & {name: string}
    switch (verb) {
      case 'list':
        return listObjects(this.store, rr)
      case 'get':
        return getObject(this.store, named)
      case 'create':
        return createObject(this.store, rr, await readBody(req))
      case 'delete':
        return deleteObject(this.store, named, await readBody(req))
      case 'deletecollection':
        return deleteCollection(this.store, rr, await readBody(req))
      default:
        return {code: 405, body: methodNotAllowed()}
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.url)
    this.requests.push({method: req.method ?? 'GET', path: url.pathname, query: url.search})
    const route = parseResourcePath(url.pathname)
    const denied = this.gate(req, url.pathname, route, url.searchParams)
    if (denied) return rejectUpgrade(socket, denied.status)
    if (!route || route.subresource !== 'exec' || !route.name) return rejectUpgrade(socket, pathNotFound())
    const plan = this.execPlan(route as Route & {name: string}, url.searchParams, req)
    if ('status' in plan) return rejectUpgrade(socket, plan.status)
    upgradeToExec(this.wss, req, socket, head, plan)
  }

  /** Validates the exec request like the apiserver and kubelet do, then decides how to run it. */
  private execPlan(route: Route & {name: string}, query: URLSearchParams, req: IncomingMessage): ExecPlan | {status: StatusBody} {
    const pod = this.store.get(route.def, route.namespace, route.name) as (KubeObject & {spec?: {nodeName?: string; containers?: {name: string}[]}; status?: {phase?: string}}) | undefined
    if (!pod) return {status: notFound('pods', '', route.name)}
    const offered = new Set(String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()))
    if (!chooseProtocol(offered)) return {status: badRequest(`unable to upgrade connection: none of the offered protocols are supported: ${[...offered].join(', ')}`)}
    const containers = (pod.spec?.containers ?? []).map((c) => c.name)
    const container = query.get('container') ?? (containers.length === 1 ? containers[0] : undefined)
    if (!container) return {status: badRequest(`a container name must be specified for pod ${route.name}, choose one of: [${containers.join(' ')}]`)}
    if (!containers.includes(container)) return {status: badRequest(`container ${container} is not valid for pod ${route.name}`)}
    if (pod.status?.phase !== 'Running') return {status: badRequest(`unable to upgrade connection: container not found ("${container}")`)}
    const argv = query.getAll('command')
    const nodeName = pod.spec?.nodeName
    const faults = this.scenario.faults ?? {}
    const outputs = this.scenario.execOutputs ?? {}
    const stripped = argv[0] === 'chroot' && argv[1] === '/host' ? argv.slice(2) : argv
    return {
      argv,
      nodeName,
      netns: nodeName ? this.scenario.nodeNamespaces?.[nodeName] : undefined,
      canned: outputs[`${nodeName}:${argv.join(' ')}`] ?? outputs[`${nodeName}:${stripped.join(' ')}`],
      hang: nodeName !== undefined && (faults.execHang ?? []).includes(nodeName),
      fail: nodeName !== undefined && (faults.execFail ?? []).includes(nodeName),
      stdin: ['true', '1'].includes(query.get('stdin') ?? ''),
    }
  }

  async close(server: Server): Promise<void> {
    this.store.close()
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

async function writeKubeconfig(dir: string, file: string, server: string, token: string, tls: TlsMaterial): Promise<string> {
  const cluster = {server, 'certificate-authority-data': Buffer.from(tls.cert).toString('base64')}
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name: 'fake', cluster}],
    users: [{name: 'fake', user: {token}}],
    contexts: [{name: 'fake', context: {cluster: 'fake', user: 'fake', namespace: 'default'}}],
    'current-context': 'fake',
  }
  const path = join(dir, file)
  await writeFile(path, JSON.stringify(config, null, 2), {mode: 0o600})
  return path
}

export async function startFakeApiServer(scenario: Scenario): Promise<FakeApiServer> {
  const impl = new FakeApiServerImpl(scenario)
  const onRequest: RequestListener = (req, res) => {
    impl.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, {code: 500, body: {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(error), reason: 'InternalError', code: 500}})
    })
  }
  const tls = await selfSignedCertificate()
  const server: Server = createTlsServer({cert: tls.cert, key: tls.key}, onRequest)
  server.on('upgrade', (req, socket, head) => impl.handleUpgrade(req, socket, head))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  impl.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = await mkdtemp(join(tmpdir(), 'kpx-fake-apiserver-'))
  const kubeconfigPath = await writeKubeconfig(dir, 'kubeconfig', impl.url, scenario.faults?.token ?? DEFAULT_TOKEN, tls)
  let extra = 0
  return {
    url: impl.url,
    kubeconfigPath,
    requests: impl.requests,
    pods: () => impl.store.list(findResource('', 'v1', 'pods')!).map((p) => ({kind: 'Pod', apiVersion: 'v1', ...structuredClone(p)})),
    kubeconfigWithToken: (token) => writeKubeconfig(dir, `kubeconfig-${++extra}`, impl.url, token, tls),
    async close() {
      await impl.close(server)
      await rm(dir, {recursive: true, force: true})
    },
  }
}
