/**
 * Worker thread entry (bundled as dist/bundled/cluster-scan-worker.js): scans the cluster.json
 * bytes it is sent (lazy-cluster.ts scanClusterItems) and answers with the items' places and
 * index keys (compactScan), or, when a key cannot be computed, the items as JSON text. A file
 * the scan rejects goes back as `null`: the main thread's eager path reads and judges it.
 */
import {parentPort} from 'node:worker_threads'

import type {ScanReply, ScanRequest} from './cluster-thread.js'
import {compactScan, scanClusterItems} from './lazy-cluster.js'

parentPort?.once('message', ({bytes}: ScanRequest) => {
  const items = scanClusterItems(bytes)
  const compact = items && compactScan(items)
  if (compact) parentPort?.postMessage({items: null, compact} satisfies ScanReply, [compact.places.buffer as ArrayBuffer])
  else parentPort?.postMessage({items: items === undefined ? null : JSON.stringify(items)} satisfies ScanReply)
})
