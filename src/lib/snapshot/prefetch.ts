/**
 * Snapshot files read ahead of need. kpx's start-up spends ~0.1 s loading the CLI framework
 * before a command runs; a `kpx trace --snapshot DIR` can have its 50 MB of rules read from disk
 * meanwhile (the read runs on libuv's threads, not on this one). readSnapshot takes a file read
 * so instead of reading it again; a read that failed is simply done again, so that its error
 * is reported as usual. Only a head start: nothing depends on it.
 */
import {readdir} from 'node:fs/promises'
import {join, resolve} from 'node:path'

import {SNAPSHOT_FILES} from './files.js'
import {type Allocate, readBytes, sharedBuffer} from './text-file.js'

/** Started reads by absolute path; undefined when the read failed. */
const started = new Map<string, Promise<Buffer | undefined>>()

/** Starts reading `path` (into memory from `allocate`), unless already started. */
export function prefetch(path: string, allocate?: Allocate): void {
  const key = resolve(path)
  if (started.has(key)) return
  const reading = readBytes(key, allocate).catch(() => undefined)
  started.set(key, reading)
}

/** The bytes of a read started by prefetch (each read is taken once), or undefined. */
export async function takePrefetched(path: string): Promise<Buffer | undefined> {
  const key = resolve(path)
  const reading = started.get(key)
  if (reading === undefined) return undefined
  started.delete(key)
  return reading
}

/**
 * Starts reading what `kpx trace` reads of a snapshot directory: cluster.json (into shared
 * memory, for its scan thread) and the IPv4 rules of the nodes asked for (prefetchRules).
 */
export function prefetchSnapshot(dir: string, nodes: string[], allocateCluster: Allocate = sharedBuffer): void {
  prefetch(join(dir, SNAPSHOT_FILES.cluster), allocateCluster)
  prefetchRules(dir, nodes)
}

/**
 * Starts reading the IPv4 rules of the nodes asked for: all nodes when none is named, but not at
 * all when there are many (for trace, a named node's rules alone would do; kpx check reads its
 * cluster.json on a thread of its own, checks/expectations-thread.ts).
 */
export function prefetchRules(dir: string, nodes: string[]): void {
  const rules = (node: string) => prefetch(join(dir, SNAPSHOT_FILES.nodes, node, SNAPSHOT_FILES.iptables))
  if (nodes.length > 0) return nodes.forEach(rules)
  readdir(join(dir, SNAPSHOT_FILES.nodes), {withFileTypes: true})
    .then((entries) => {
      const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name)
      if (names.length <= MAX_NODES) names.forEach(rules)
    })
    .catch(() => undefined)
}

const MAX_NODES = 4
