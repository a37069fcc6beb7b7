/**
 * check's cluster side (expectations.ts) built on a worker thread while this one reads and
 * parses the rules: on a 10k-Service snapshot, JSON.parse of 16 MB, its validation and
 * buildExpectations are ~0.5 s this thread no longer spends. The thread reads cluster.json itself,
 * so it can start before the command does (src/bundle/main.ts). What comes back is cheap to
 * receive (expectations-wire.ts), and the hash index comes first: the rules view needs it before
 * anything else of the cluster.
 *
 * Only for a cluster read deferred (readSnapshot's `deferCluster`), whose file the thread can
 * read. The answers are buildExpectations': anything that goes wrong with the thread (no worker
 * file in an unbundled build, a crash, a file it cannot read or parse) falls back to reading and
 * building here, which also reports a bad file with the usual error.
 */
import {deferredClusterPath} from '../snapshot/deferred-cluster.js'
import type {ClusterObjects} from '../snapshot/types.js'
import {buildExpectations, type ClusterExpectations, servicePortsHashIndex} from './expectations.js'
import {startExpectationsThread, takeExpectationsThread} from './expectations-start.js'
import {decodeExpectations} from './expectations-wire.js'

export {startExpectationsThread}
export type {ExpectationsReply, ExpectationsRequest} from './expectations-start.js'

/** The cluster side: the hash index, which the rules view needs first, and the whole. */
export interface PendingExpectations {
  /** Filled on first read (HashIndexOnRead): waits for the thread then, if it must. */
  hashIndex: Map<string, string>
  expectations: Promise<ClusterExpectations>
}

/**
 * The expectations of `cluster`: from a thread when it was read deferred (the one started for
 * its file, or one started now), else built here. Rejects with the file's error when it is bad.
 */
export function expectationsFor(cluster: ClusterObjects, workerFile?: URL): PendingExpectations {
  const path = deferredClusterPath(cluster)
  if (path === undefined) {
    try {
      const built = buildExpectations(cluster)
      return {hashIndex: built.hashIndex, expectations: Promise.resolve(built)}
    } catch (error) {
      return handled({hashIndex: new Map(), expectations: Promise.reject(error)})
    }
  }
  const thread = takeExpectationsThread(path, workerFile)
  const hashIndex = new HashIndexOnRead(() => thread.hashIndexNow() ?? hashIndexHere(cluster))
  // Here only when the thread gave no answer; a bad file throws its error then.
  const here = () => buildExpectations(cluster, hashIndex)
  return handled({hashIndex, expectations: thread.wire.then((wire) => (wire ? decodeExpectations(wire, hashIndex) : here()))})
}

/** The hash index built here; none for a bad file (the expectations report its error). */
function hashIndexHere(cluster: ClusterObjects): Map<string, string> {
  try {
    return servicePortsHashIndex(cluster.services)
  } catch {
    return new Map()
  }
}

/** May be awaited late, or not at all (a run that stops on another error): never an unhandled rejection. */
function handled(pending: PendingExpectations): PendingExpectations {
  pending.expectations.catch(() => undefined)
  return pending
}

/**
 * A Map whose entries come on its first use. The rules view reads the hash index only for
 * chains without a comment, so this thread parses and reads rules meanwhile, and waits for the
 * thread's index (if at all) only when a rule needs it.
 */
export class HashIndexOnRead extends Map<string, string> {
  private load: (() => Map<string, string>) | undefined

  constructor(load: () => Map<string, string>) {
    super()
    this.load = load
  }

  override get size(): number {
    this.loaded()
    return super.size
  }

  override get(key: string): string | undefined {
    this.loaded()
    return super.get(key)
  }

  override has(key: string): boolean {
    this.loaded()
    return super.has(key)
  }

  override set(key: string, value: string): this {
    this.loaded()
    return super.set(key, value)
  }

  override delete(key: string): boolean {
    this.loaded()
    return super.delete(key)
  }

  override clear(): void {
    this.loaded()
    super.clear()
  }

  override forEach(callback: (value: string, key: string, map: Map<string, string>) => void, thisArg?: unknown): void {
    this.loaded()
    super.forEach(callback, thisArg)
  }

  override entries(): MapIterator<[string, string]> {
    this.loaded()
    return super.entries()
  }

  override keys(): MapIterator<string> {
    this.loaded()
    return super.keys()
  }

  override values(): MapIterator<string> {
    this.loaded()
    return super.values()
  }

  override [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries()
  }

  private loaded(): void {
    const load = this.load
    if (load === undefined) return
    this.load = undefined
    for (const [key, value] of load()) super.set(key, value)
  }
}
