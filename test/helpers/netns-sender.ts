/**
 * A long-lived send-connections.js process inside one namespace (`--serve` mode): requests go
 * down stdin one JSON line at a time, replies come back one line each, in order. Starting Node
 * costs ~0.3 s on a 2-core CI machine, which would otherwise dominate every probe.
 */
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

const SENDER = fileURLToPath(new URL('send-connections.js', import.meta.url))

export interface SenderTarget {
  src?: string
  dst: string
  port: number
  proto: 'tcp' | 'udp'
  count: number
  firstPort: number
}

export interface SendResult {
  /** Attempts whose first packet left the socket without a local error. */
  sent: number
  /** Local errors by code (EPERM when netfilter OUTPUT dropped it, ECONNREFUSED for a REJECT). */
  errors: Record<string, number>
}

type Pending = {resolve: (results: SendResult[]) => void; reject: (error: Error) => void}

export class SenderProcess {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly pending: Pending[] = []
  private stderr = ''
  private exited = false

  constructor(readonly netns: string) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, SENDER, '--serve'], {stdio: ['pipe', 'pipe', 'pipe']})
    createInterface({input: this.child.stdout}).on('line', (line) => this.onReply(line))
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.child.on('exit', (code) => this.failAll(new Error(`sender in ${netns} exited (${code}): ${this.stderr.trim()}`)))
    this.child.on('error', (error) => this.failAll(error))
    this.child.stdin.on('error', () => {}) // reported through 'exit'
  }

  send(targets: SenderTarget[]): Promise<SendResult[]> {
    if (this.exited) return Promise.reject(new Error(`sender in ${this.netns} is gone: ${this.stderr.trim()}`))
    return new Promise((resolve, reject) => {
      this.pending.push({resolve, reject})
      this.child.stdin.write(JSON.stringify({targets}) + '\n')
    })
  }

  /** Ends the process by closing its stdin (it exits when its input ends). */
  close(): void {
    if (!this.exited) this.child.stdin.end()
  }

  /** For process exit: the child is ours, end it by its handle. */
  kill(): void {
    if (!this.exited) this.child.kill()
  }

  private onReply(line: string): void {
    const waiter = this.pending.shift()
    if (!waiter) return
    try {
      waiter.resolve((JSON.parse(line) as {results: SendResult[]}).results)
    } catch (error) {
      waiter.reject(error as Error)
    }
  }

  private failAll(error: Error): void {
    this.exited = true
    for (const waiter of this.pending.splice(0)) waiter.reject(error)
  }
}
