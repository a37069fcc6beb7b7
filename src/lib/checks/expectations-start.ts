/**
 * The thread of expectations-thread.ts, started and taken: apart, so that kpx's start
 * (src/bundle/main.ts) can start it without loading the checks.
 */
import {existsSync} from 'node:fs'
import {resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {MessageChannel, type MessagePort, receiveMessageOnPort, Worker} from 'node:worker_threads'

import type {WireExpectations} from './expectations-wire.js'

export interface ExpectationsRequest {
  path: string
  /** Where the hash index goes (receiveMessageOnPort reads it without the event loop). */
  indexPort: MessagePort
  /** One Int32: PENDING, then SENT (the index is on indexPort) or FAILED; notified on change. */
  indexState: Int32Array
}

/** On the worker's own port: the rest, or `failed` (then the hash index was not sent either). */
export type ExpectationsReply = {failed: true} | {wire: WireExpectations}

export const PENDING = 0
export const SENT = 1
export const FAILED = 2

/**
 * How long a read of the hash index waits for the thread at most: it never takes this long
 * unless it died without a word (its end cannot be heard while this thread waits), and then the
 * index is built here.
 */
const INDEX_WAIT_MS = 30_000

export const WORKER_FILE = new URL('expectations-worker.js', import.meta.url)

/** A thread at work on one file; its answers are undefined when it could not give them. */
export class ExpectationsThread {
  readonly wire: Promise<WireExpectations | undefined>
  private readonly worker: Worker | undefined
  private readonly indexState = new Int32Array(new SharedArrayBuffer(4))
  private readonly indexPort: MessagePort | undefined

  constructor(readonly path: string, workerFile: URL) {
    let settleWire: (wire: WireExpectations | undefined) => void = () => undefined
    this.wire = new Promise((resolve) => (settleWire = resolve))
    const fail = () => {
      Atomics.compareExchange(this.indexState, 0, PENDING, FAILED)
      settleWire(undefined)
    }
    try {
      // A missing worker file (an unbundled run from the sources) would be heard of only
      // asynchronously: too late for a hash index read meanwhile.
      if (!existsSync(fileURLToPath(workerFile))) throw new Error('no worker file')
      const worker = new Worker(workerFile)
      worker.unref() // kept alive only while an answer is awaited (take)
      worker.on('message', (reply: ExpectationsReply) => {
        if ('wire' in reply) settleWire(reply.wire)
        fail() // (no effect on what is settled) — the worker ends by itself: its index may still be unread
      })
      worker.on('error', fail)
      worker.on('exit', fail)
      const {port1, port2} = new MessageChannel()
      port1.unref()
      worker.postMessage({path, indexPort: port2, indexState: this.indexState} satisfies ExpectationsRequest, [port2])
      this.indexPort = port1
      this.worker = worker
    } catch {
      fail()
    }
  }

  /** The hash index, waited for here (this thread blocks) when not yet sent; undefined when the thread failed. */
  hashIndexNow(): Map<string, string> | undefined {
    Atomics.wait(this.indexState, 0, PENDING, INDEX_WAIT_MS)
    if (Atomics.load(this.indexState, 0) !== SENT || !this.indexPort) return undefined
    const received = receiveMessageOnPort(this.indexPort) as {message: {hashIndex: Map<string, string>}} | undefined
    return received?.message.hashIndex
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
