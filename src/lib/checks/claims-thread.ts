/**
 * A worker thread that verifies KUBE-SEP name claims (endpoint-claims.ts) while the main thread
 * runs the other checks: on a 10k-Service node that is 10^5 SHA-256 hashes, hash-mismatch's whole
 * cost. Started before the rules are read, so its start-up is hidden too. Anything that goes
 * wrong with the thread (no worker file, e.g. an unbundled build without it) falls back to
 * verifying on the calling thread: the answers are the same either way.
 */
import {Worker} from 'node:worker_threads'

import {type EndpointClaim, encodeClaims, verifyClaims} from './endpoint-claims.js'

export class ClaimsThread {
  private readonly worker: Worker | undefined
  private readonly waiting = new Map<number, (verdicts: Uint8Array | undefined) => void>()
  private nextId = 0
  private broken = false

  /** @param workerFile the worker's entry: by default the one built next to this file. */
  constructor(workerFile: URL = new URL('endpoint-claims-worker.js', import.meta.url)) {
    try {
      this.worker = new Worker(workerFile)
      this.worker.on('message', ({id, verdicts}: {id: number; verdicts: Uint8Array}) => this.settle(id, verdicts))
      this.worker.on('error', () => this.fail())
      this.worker.on('exit', () => this.fail())
      this.worker.unref() // kept alive only while a question is open (ask)
    } catch {
      this.broken = true
    }
  }

  /** The verdicts (1 holds, 0 does not) of the claims, from the thread when it works. */
  async verify(claims: readonly EndpointClaim[]): Promise<Uint8Array> {
    if (claims.length === 0) return new Uint8Array(0)
    const fromThread = this.broken || !this.worker ? undefined : await this.ask(this.worker, claims)
    return fromThread ?? verifyClaims(claims)
  }

  async close(): Promise<void> {
    this.broken = true
    await this.worker?.terminate()
  }

  private ask(worker: Worker, claims: readonly EndpointClaim[]): Promise<Uint8Array | undefined> {
    const id = this.nextId++
    worker.ref()
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      worker.postMessage({id, text: encodeClaims(claims)})
    })
  }

  private settle(id: number, verdicts: Uint8Array | undefined): void {
    this.waiting.get(id)?.(verdicts)
    this.waiting.delete(id)
    if (this.waiting.size === 0) this.worker?.unref()
  }

  /** The thread died or never started: every open question is answered here instead. */
  private fail(): void {
    this.broken = true
    for (const id of [...this.waiting.keys()]) this.settle(id, undefined)
  }
}

/** Runs `work` with a ClaimsThread started first (its start-up overlaps the work's reading) and closed after. */
export async function withClaimsThread<T>(work: (thread: ClaimsThread) => Promise<T>): Promise<T> {
  const thread = new ClaimsThread()
  try {
    return await work(thread)
  } finally {
    await thread.close()
  }
}
