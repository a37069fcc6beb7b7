/**
 * cluster.json scanned on a worker thread (lazy-cluster.ts scanClusterItems), so that `kpx
 * trace` reads a big snapshot's rules on the main thread meanwhile: on a 10k-Service snapshot
 * the scan of 16 MB is ~150 ms the trace no longer waits for. What comes back is numbers and, per
 * index map, its keys as JSON text read on first use (lazy-cluster.ts compactScan): a structured
 * clone, or JSON, of 10^4 skeleton objects would cost this side more than the scan saves.
 *
 * The answers are the in-thread scan's: anything that goes wrong with the thread (no worker file
 * in an unbundled build, a crash) falls back to scanning here. Small files are scanned here too:
 * starting a thread costs more than their scan.
 */
import {Worker} from 'node:worker_threads'

import {clusterFromScan, type CompactScan, type LazyItem, scanClusterItems} from './lazy-cluster.js'
import type {ClusterObjects} from './types.js'

/** Below this size the scan takes less than starting a thread. */
export const THREAD_MIN_BYTES = 1 << 20

export interface ClusterThreadOptions {
  /** Scan on a thread from this size on (tests lower it). */
  minBytes?: number
  /** The worker's entry: by default the one built next to this file. */
  workerFile?: URL
}

/** readClusterJson's result, with the scan done on a worker thread for a big file. */
export async function readClusterJsonInThread(bytes: Buffer, origin: string, opts: ClusterThreadOptions = {}): Promise<ClusterObjects> {
  const items = bytes.length >= (opts.minBytes ?? THREAD_MIN_BYTES) ? await scanInThread(bytes, opts.workerFile) : undefined
  return clusterFromScan(bytes, origin, items === undefined || items === NOT_SCANNED ? scanClusterItems(bytes) : items)
}

/** The thread's answer could not be had: scan on this thread. */
const NOT_SCANNED = Symbol('not scanned')

export interface ScanRequest {
  bytes: Uint8Array
}

/** `compact` when the keys could be computed; else `items`: JSON of the LazyItem list, null when the eager path must read the file. */
export interface ScanReply {
  compact?: CompactScan
  items: string | null
}

const WORKER_FILE = new URL('cluster-scan-worker.js', import.meta.url)

/** A thread started ahead of need (startScanThread), taken by the next scan. */
let started: Worker | undefined

/**
 * Starts the scan thread now, so that its start-up overlaps whatever runs before the scan
 * (kpx's start: src/bundle/main.ts). Unused, it keeps nothing alive and ends with the process.
 */
export function startScanThread(): void {
  if (started !== undefined) return
  try {
    const worker = new Worker(WORKER_FILE)
    worker.unref()
    worker.on('error', () => undefined) // (a scan that has taken it hears of it too)
    // One that ends before a scan takes it is not taken (its end would never be heard).
    worker.once('exit', () => {
      if (started === worker) started = undefined
    })
    started = worker
  } catch {
    started = undefined
  }
}

function takeWorker(workerFile: URL | undefined): Worker {
  const worker = workerFile === undefined ? started : undefined
  if (worker !== undefined) {
    started = undefined
    worker.ref()
    return worker
  }
  return new Worker(workerFile ?? WORKER_FILE)
}

function scanInThread(bytes: Buffer, workerFile?: URL): Promise<LazyItem[] | CompactScan | undefined | typeof NOT_SCANNED> {
  // Shared memory: the thread reads the very bytes, and this side keeps them if it fails.
  // (readSnapshot reads cluster.json into shared memory; other callers' bytes are copied there.)
  const shared = bytes.buffer instanceof SharedArrayBuffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : copyToShared(bytes)
  return new Promise((resolve) => {
    let worker: Worker
    try {
      worker = takeWorker(workerFile)
    } catch {
      return resolve(NOT_SCANNED)
    }
    const settle = (value: LazyItem[] | CompactScan | undefined | typeof NOT_SCANNED) => {
      resolve(value)
      void worker.terminate()
    }
    worker.on('message', ({compact, items}: ScanReply) => settle(compact ?? (items === null ? undefined : (JSON.parse(items) as LazyItem[]))))
    worker.on('error', () => settle(NOT_SCANNED))
    worker.on('exit', () => settle(NOT_SCANNED))
    worker.postMessage({bytes: shared} satisfies ScanRequest)
  })
}

function copyToShared(bytes: Uint8Array): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length))
  shared.set(bytes)
  return shared
}
