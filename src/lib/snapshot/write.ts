/**
 * Writing a snapshot directory (what `kpx dump` produces), in the layout readSnapshot reads.
 */
import {mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {InputError, UsageError} from '../errors.js'
import {formatAddresses} from './addresses.js'
import {toClusterList} from './cluster-json.js'
import {describeFsError, SNAPSHOT_FILES} from './read.js'
import type {NodeCapture, Snapshot} from './types.js'

export interface WriteSnapshotOptions {
  /** Replace the snapshot files of a non-empty directory (cluster.json and nodes/ only). */
  force?: boolean
}

export async function writeSnapshot(snapshot: Snapshot, dir: string, opts: WriteSnapshotOptions = {}): Promise<void> {
  snapshot.nodes.forEach((node) => checkNodeName(node.name))
  await prepareDirectory(dir, opts.force === true)
  const nodesDir = join(dir, SNAPSHOT_FILES.nodes)
  await guard(dir, () => mkdir(nodesDir, {recursive: true}))
  if (snapshot.cluster) {
    await put(join(dir, SNAPSHOT_FILES.cluster), JSON.stringify(toClusterList(snapshot.cluster), null, 2) + '\n')
  }
  for (const node of snapshot.nodes) await writeNode(join(nodesDir, node.name), node)
}

async function writeNode(nodeDir: string, node: NodeCapture): Promise<void> {
  await guard(nodeDir, () => mkdir(nodeDir, {recursive: true}))
  if (node.iptables) await put(join(nodeDir, SNAPSHOT_FILES.iptables), node.iptables.text)
  if (node.ip6tables) await put(join(nodeDir, SNAPSHOT_FILES.ip6tables), node.ip6tables.text)
  // An empty list is still written: "no local addresses known" must not fall back to the Node object.
  await put(join(nodeDir, SNAPSHOT_FILES.addresses), formatAddresses(node.addresses, node.interfaces))
  if (node.meta) await put(join(nodeDir, SNAPSHOT_FILES.meta), JSON.stringify(node.meta, null, 2) + '\n')
}

/**
 * Refuse to mix a new snapshot into an old one. With force, remove only what a snapshot consists
 * of, so a mistyped directory (say, $HOME) loses nothing else.
 */
async function prepareDirectory(dir: string, force: boolean): Promise<void> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw new InputError(`${dir}: ${describeFsError(error)}`)
  })
  if (entries.length === 0) return
  if (!force) {
    throw new UsageError(`${dir}: directory is not empty; refusing to overwrite it`, [
      'choose a new directory, or pass --force to replace the snapshot in it',
    ])
  }
  await guard(dir, () => rm(join(dir, SNAPSHOT_FILES.nodes), {recursive: true, force: true}))
  await guard(dir, () => rm(join(dir, SNAPSHOT_FILES.cluster), {force: true}))
}

/** Node names become directory names: keep them to one path segment. */
function checkNodeName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new InputError(`node name ${JSON.stringify(name)} cannot be used as a directory name`)
  }
}

async function put(path: string, text: string): Promise<void> {
  await guard(path, () => writeFile(path, text, 'utf8'))
}

async function guard<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    throw new InputError(`${path}: ${describeFsError(error as NodeJS.ErrnoException)}`)
  }
}
