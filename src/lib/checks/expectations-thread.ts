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
import {buildExpectations, type ClusterExpectations} from './expectations.js'
import {startExpectationsThread, takeExpectationsThread, WORKER_FILE} from './expectations-start.js'
import {decodeExpectations} from './expectations-wire.js'

export {startExpectationsThread}
export type {ExpectationsReply, ExpectationsRequest} from './expectations-start.js'

/** The cluster side, in two steps: the hash index (known first) and the whole. */
export interface PendingExpectations {
  hashIndex: Promise<Map<string, string>>
  expectations: Promise<ClusterExpectations>
}


/**
 * The expectations of `cluster`: from a thread when it was read deferred (the one started for
 * its file, or one started now), else built here. Rejects with the file's error when it is bad.
 */
export function expectationsFor(cluster: ClusterObjects, workerFile: URL = WORKER_FILE): PendingExpectations {
  const path = deferredClusterPath(cluster)
  if (path === undefined) {
    const built = settled(() => buildExpectations(cluster))
    return handled({hashIndex: built.then((e) => e.hashIndex), expectations: built})
  }
  const thread = takeExpectationsThread(path, workerFile)
  // Here, at most once, and only when the thread gave no answer.
  let here: Promise<ClusterExpectations> | undefined
  const fallback = () => (here ??= settled(() => buildExpectations(cluster)))
  return handled({
    hashIndex: thread.hashIndex.then(async (index) => index ?? (await fallback()).hashIndex),
    expectations: Promise.all([thread.hashIndex, thread.wire]).then(([index, wire]) => (index && wire ? decodeExpectations(wire, index) : fallback())),
  })
}

function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work())
  } catch (error) {
    return Promise.reject(error)
  }
}

/** Either may be awaited late, or not at all (a run that stops on another error): never an unhandled rejection. */
function handled(pending: PendingExpectations): PendingExpectations {
  pending.hashIndex.catch(() => undefined)
  pending.expectations.catch(() => undefined)
  return pending
}
