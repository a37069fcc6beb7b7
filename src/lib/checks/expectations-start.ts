/**
 * The thread of expectations-thread.ts, started and taken: apart, so that kpx's start
 * (src/bundle/main.ts) can start it without loading the checks.
 */
import {resolve} from 'node:path'
import {Worker} from 'node:worker_threads'

import type {WireExpectations} from './expectations-wire.js'

export interface ExpectationsRequest {
  path: string
}

export type ExpectationsReply = {failed: true} | {hashIndex: Map<string, string>} | {wire: WireExpectations}

export const WORKER_FILE = new URL('expectations-worker.js', import.meta.url)

/** A thread at work on one file; its answers are undefined when it could not give them. */
export class ExpectationsThread {
  readonly hashIndex: Promise<Map<string, string> | undefined>
  readonly wire: Promise<WireExpectations | undefined>
  private readonly worker: Worker | undefined

  constructor(readonly path: string, workerFile: URL) {
    let settleIndex: (index: Map<string, string> | undefined) => void = () => undefined
    let settleWire: (wire: WireExpectations | undefined) => void = () => undefined
    this.hashIndex = new Promise((resolve) => (settleIndex = resolve))
    this.wire = new Promise((resolve) => (settleWire = resolve))
    const fail = () => {
      settleIndex(undefined)
      settleWire(undefined)
    }
    try {
      const worker = new Worker(workerFile)
      worker.unref() // kept alive only while an answer is awaited (take)
      worker.on('message', (reply: ExpectationsReply) => {
        if ('hashIndex' in reply) return settleIndex(reply.hashIndex)
        if ('wire' in reply) settleWire(reply.wire)
        fail() // (no effect on what is settled)
        void worker.terminate()
      })
      worker.on('error', fail)
      worker.on('exit', fail)
      worker.postMessage({path} satisfies ExpectationsRequest)
      this.worker = worker
    } catch {
      fail()
    }
  }

  /** Someone waits for the answers: the thread keeps the process alive until they come. */
  take(): void {
    const worker = this.worker
    if (!worker) return
    worker.ref()
    void this.wire.then(() => worker.unref())
  }

  stop(): void {
    void this.worker?.terminate()
  }
}

/** A thread started ahead of need (startExpectationsThread), taken by expectationsFor. */
let started: ExpectationsThread | undefined

/**
 * Starts building the expectations of the cluster.json at `path` on a thread now, so that it
 * overlaps whatever runs before they are asked for (kpx's start: src/bundle/main.ts). Unused,
 * it keeps nothing alive and ends with the process.
 */
export function startExpectationsThread(path: string, workerFile: URL = WORKER_FILE): void {
  const key = resolve(path)
  if (started?.path === key) return
  started?.stop()
  started = new ExpectationsThread(key, workerFile)
}

/** The thread for the file at `path` (the one started, else a new one), now kept alive until it answers. */
export function takeExpectationsThread(path: string, workerFile: URL = WORKER_FILE): ExpectationsThread {
  startExpectationsThread(path, workerFile)
  const thread = started as ExpectationsThread
  started = undefined
  thread.take()
  return thread
}
