/**
 * Worker thread entry (bundled as dist/bundled/cluster-scan-worker.js): scans the cluster.json
 * bytes it is sent (lazy-cluster.ts scanClusterItems) and answers with the items as JSON text.
 * A file the scan rejects goes back as `null`: the main thread's eager path reads and judges it.
 */
import {parentPort} from 'node:worker_threads'

import type {ScanReply, ScanRequest} from './cluster-thread.js'
import {scanClusterItems} from './lazy-cluster.js'

parentPort?.once('message', ({bytes}: ScanRequest) => {
  const items = scanClusterItems(bytes)
  parentPort?.postMessage({items: items === undefined ? null : JSON.stringify(items)} satisfies ScanReply)
})
