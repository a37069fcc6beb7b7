/**
 * Reading snapshots from disk: a snapshot directory (README.md "Snapshot format") or a single
 * rules file. Rules stay raw text here; parsing happens later, on demand.
 */
import {isAscii} from 'node:buffer'
import {readdir, stat} from 'node:fs/promises'
import {isIP} from 'node:net'
import {join} from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {addressesFromNode, parseAddresses, parseInterfaces} from './addresses.js'
import {type ClusterIndex, indexCluster} from './cluster-index.js'
import {parseClusterJson} from './cluster-json.js'
import {deferredCluster} from './deferred-cluster.js'
import {describeFsError} from './fs-errors.js'
import {parseJsonText} from './json-file.js'
import {readClusterJsonInThread} from './cluster-thread.js'
import {SNAPSHOT_FILES} from './files.js'
import {takePrefetched} from './prefetch.js'
import {asciiHasGarbage} from '../parse/garbage.js'
import {type Allocate, decodeText, readBytes, sharedBuffer} from './text-file.js'
import type {ClusterObjects, NodeCapture, NodeMeta, RulesText, Snapshot} from './types.js'

export {describeFsError, SNAPSHOT_FILES}

export interface ReadSnapshotOptions {
  /**
   * Read cluster.json lazily (lazy-cluster.ts): the whole file is still checked as JSON here,
   * but an object is parsed and validated only when used, so a command that looks up a few
   * objects (trace) does not pay for all of them. A validation error then surfaces when the
   * object is used, with the eager message. Off by default: a command that reads every object
   * (check) is faster eager, and an unused bad object is reported up front. The scan of a big
   * file runs on a worker thread (cluster-thread.ts) while `meanwhile` runs here.
   */
  lazyCluster?: boolean
  /**
   * Work on the node captures (rules read, not parsed) while cluster.json is scanned: trace
   * parses the rules here. Its errors are its own business (it should leave them for later):
   * the snapshot's own errors come first. Nodes whose addresses come from cluster.json (no
   * addresses.txt) have none yet.
   */
  meanwhile?: (nodes: NodeCapture[]) => void
  /**
   * Do not read cluster.json here: the snapshot's `cluster` reads it on first use
   * (deferred-cluster.ts). For `kpx check`, which has its cluster side built from the file on a
   * worker thread (checks/expectations-thread.ts). A bad cluster.json is still reported before a
   * bad node file; otherwise its error comes when it is used. Wins over `lazyCluster`.
   */
  deferCluster?: boolean
}

/** Read a snapshot directory. Every problem is an InputError naming the file. */
export async function readSnapshot(dir: string, opts: ReadSnapshotOptions = {}): Promise<Snapshot> {
  await requireDirectory(dir)
  const nodesDir = join(dir, SNAPSHOT_FILES.nodes)
  const nodeNames = await listNodeDirectories(dir, nodesDir)
  const clusterPath = join(dir, SNAPSHOT_FILES.cluster)
  if (opts.deferCluster) {
    const cluster = (await isPresent(clusterPath)) ? deferredCluster(clusterPath) : undefined
    // A bad cluster.json is reported before a bad node file, as when it was read first.
    const nodes = await readNodes(nodesDir, nodeNames, cluster).catch((error: unknown) => {
      if (cluster) void cluster.nodes
      throw error
    })
    opts.meanwhile?.(nodes)
    return {origin: dir, cluster, nodes}
  }
  if (!opts.lazyCluster) {
    const clusterBytes = await readOptionalBytes(clusterPath)
    const cluster = clusterBytes === undefined ? undefined : parseClusterJson(decodeText(clusterBytes), clusterPath)
    const nodes = await readNodes(nodesDir, nodeNames, cluster)
    opts.meanwhile?.(nodes)
    return {origin: dir, cluster, nodes}
  }
  // Read lazily, cluster.json is scanned on a worker thread (into memory it can share), and
  // read at the same time as the node files.
  const scanning = readOptionalBytes(clusterPath, sharedBuffer).then((bytes) => (bytes === undefined ? undefined : readClusterJsonInThread(bytes, clusterPath)))
  // A bad cluster.json is reported before a bad node file, as when it was read first.
  const reading = readNodes(nodesDir, nodeNames, undefined)
  reading.catch(() => undefined)
  scanning.catch(() => undefined)
  let nodes: NodeCapture[] | undefined
  try {
    nodes = await reading
    opts.meanwhile?.(nodes)
  } finally {
    await scanning
  }
  const cluster = await scanning
  addClusterAddresses(nodes, cluster && indexCluster(cluster))
  return {origin: dir, cluster, nodes}
}

async function readNodes(nodesDir: string, names: string[], cluster: ClusterObjects | undefined): Promise<NodeCapture[]> {
  const index = cluster && indexCluster(cluster) // (its maps are built on first use)
  const nodes = await Promise.all(names.map((name) => readNode(join(nodesDir, name), name)))
  addClusterAddresses(nodes, index)
  return nodes
}

/** A node without addresses.txt has the addresses cluster.json gives its Node object. */
function addClusterAddresses(nodes: NodeCapture[], cluster: ClusterIndex | undefined): void {
  for (const node of nodes) if (!ownAddresses.has(node)) node.addresses = addressesFromNode(cluster?.node(node.name))
}

/** Nodes whose addresses came from their addresses.txt. */
const ownAddresses = new WeakSet<NodeCapture>()

export interface ReadRulesOptions {
  /** The node's local addresses (--node-ip), for addrtype LOCAL and NodePort traffic. */
  nodeIps?: string[]
  nodeName?: string
  /** Where '-' reads from; defaults to process.stdin (a seam for tests). */
  stdin?: NodeJS.ReadableStream
}

/**
 * A single rules file (`-` for stdin) as a one-node snapshot. ip6tables-save output (recognised
 * by its header) lands in `ip6tables`, anything else in `iptables`.
 */
export async function readRulesFile(path: string, opts: ReadRulesOptions = {}): Promise<Snapshot> {
  const nodeIps = opts.nodeIps ?? []
  const bad = nodeIps.find((ip) => isIP(ip) === 0)
  if (bad !== undefined) throw new UsageError(`--node-ip ${bad}: not an IPv4 or IPv6 address`)
  const text = path === '-' ? await readStream(opts.stdin ?? process.stdin, 'stdin') : await readRequired(path)
  const rules: RulesText = {origin: path === '-' ? '-' : path, text}
  const isIp6 = /^# Generated by ip6tables-save/m.test(text.slice(0, 200))
  const node: NodeCapture = {
    name: opts.nodeName ?? 'node',
    addresses: [...nodeIps],
    meta: {transport: 'file'},
    ...(isIp6 ? {ip6tables: rules} : {iptables: rules}),
  }
  return {origin: path, nodes: [node]}
}

async function readNode(nodeDir: string, name: string): Promise<NodeCapture> {
  const [iptables, ip6tables, addressesText, metaText] = await Promise.all([
    readRules(join(nodeDir, SNAPSHOT_FILES.iptables)),
    readRules(join(nodeDir, SNAPSHOT_FILES.ip6tables)),
    readOptional(join(nodeDir, SNAPSHOT_FILES.addresses)),
    readOptional(join(nodeDir, SNAPSHOT_FILES.meta)),
  ])
  const addresses = addressesText === undefined ? [] : parseAddresses(addressesText, join(nodeDir, SNAPSHOT_FILES.addresses))
  const node: NodeCapture = {name, addresses}
  if (addressesText !== undefined) ownAddresses.add(node)
  const interfaces = addressesText === undefined ? [] : parseInterfaces(addressesText)
  if (interfaces.length > 0) node.interfaces = interfaces
  if (iptables) node.iptables = iptables
  if (ip6tables) node.ip6tables = ip6tables
  if (metaText !== undefined) node.meta = parseMeta(metaText, join(nodeDir, SNAPSHOT_FILES.meta))
  return node
}

function parseMeta(text: string, origin: string): NodeMeta {
  const meta = parseJsonText(text, origin)
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new InputError(`${origin}: not a JSON object`)
  }
  return meta as NodeMeta
}

async function readRules(path: string): Promise<RulesText | undefined> {
  const bytes = await readOptionalBytes(path)
  return bytes === undefined ? undefined : rulesText(path, bytes)
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`${dir}: ${describeFsError(error)}`, ['pass a snapshot directory (see README "Snapshot format")'])
  })
  if (!info.isDirectory()) {
    throw new InputError(`${dir}: not a directory; a snapshot is a directory with nodes/<node>/iptables-save.txt`, [
      'for a single rules file use --rules FILE',
    ])
  }
}

async function listNodeDirectories(dir: string, nodesDir: string): Promise<string[]> {
  const entries = await readdir(nodesDir, {withFileTypes: true}).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === 'ENOENT' ? 'no nodes/ directory inside' : `${nodesDir}: ${describeFsError(error)}`
    throw new InputError(`${dir}: not a snapshot directory: ${why}`, [
      'a snapshot holds nodes/<node>/iptables-save.txt (see README "Snapshot format")',
    ])
  })
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name)
  if (names.length === 0) throw new InputError(`${nodesDir}: no node directories inside`)
  return names.sort()
}

/** Whether the file exists (readOptionalBytes would find it); any failure but its absence is an InputError. */
async function isPresent(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new InputError(`${path}: ${describeFsError(error as NodeJS.ErrnoException)}`)
  }
}

/**
 * A rules file's text, checked for binary garbage on its bytes when they are ASCII (cheaper than
 * the parser's check of the text; other bytes are left to the parser).
 */
function rulesText(origin: string, bytes: Buffer): RulesText {
  const ascii = isAscii(bytes)
  const text = ascii ? bytes.toString('latin1') : bytes.toString('utf8')
  return ascii && !asciiHasGarbage(bytes) ? {origin, text, clean: true} : {origin, text}
}

/** The file's text, or undefined when it does not exist; any other failure is an InputError. */
async function readOptional(path: string): Promise<string | undefined> {
  const bytes = await readOptionalBytes(path)
  return bytes === undefined ? undefined : decodeText(bytes)
}

async function readOptionalBytes(path: string, allocate?: Allocate): Promise<Buffer | undefined> {
  const early = await takePrefetched(path)
  if (early !== undefined) return early
  try {
    return await readBytes(path, allocate)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new InputError(`${path}: ${describeFsError(error as NodeJS.ErrnoException)}`)
  }
}

async function readRequired(path: string): Promise<string> {
  const text = await readOptional(path)
  if (text === undefined) throw new InputError(`${path}: no such file`)
  return text
}

async function readStream(stream: NodeJS.ReadableStream, origin: string): Promise<string> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  } catch (error) {
    throw new InputError(`${origin}: ${(error as Error).message}`)
  }
  return decodeText(Buffer.concat(chunks))
}
