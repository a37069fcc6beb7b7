/**
 * Run a command in a container and capture its output: client-node's Exec, wrapped once.
 *
 * Why a wrapper: `Exec.exec()` resolves when the WebSocket *opens*, not when the command ends.
 * The end is the V1Status message on channel 3 (Success, or Failure with reason
 * NonZeroExitCode and the code in details.causes). A socket that closes without one, or a
 * command that never ends, must not hang kpx, so both become errors here; a non-zero exit is
 * data for the caller to judge.
 *
 * We give Exec our own WebSocketInterface (the seam client-node provides) because its default
 * handler (a) only exposes the socket once open, so a hanging handshake could not be
 * cancelled, and (b) ends `process.stdout` when a v5 server sends a close-stream frame.
 */
import type {RequestOptions} from 'node:https'
import {Writable} from 'node:stream'

import {Exec, type KubeConfig, type V1Status} from '@kubernetes/client-node'
import WebSocket from 'ws'

import {ClusterAccessError} from '../errors.js'
import {toClusterError} from './api-errors.js'

export interface ExecResult {
  stdout: string
  stderr: string
  /** 0 on Success; the command's code on NonZeroExitCode; 126/127 when the runtime could not start it. */
  exitCode: number
  /** The Status message for a failure, e.g. the runtime's "executable file not found". */
  message?: string
}

export interface ExecOptions {
  timeoutMs: number
  /** Aborting closes the socket and rejects, like a timeout (node deadline, Ctrl-C). */
  signal?: AbortSignal
}

/** v4 and v5 carry the exit status as JSON on channel 3; older protocols do not, so we do not offer them. */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']
const CLOSE_STREAM_CHANNEL = 255

/** Opens exec WebSockets with the kubeconfig's TLS/auth and hands each socket out as soon as it exists. */
export class CapturingSocketInterface {
  constructor(
    private readonly kc: KubeConfig,
    private readonly onSocket: (ws: WebSocket) => void,
  ) {}

  async connect(path: string, _text: unknown, binaryHandler: ((stream: number, buff: Buffer) => boolean) | null): Promise<WebSocket> {
    const server = this.kc.getCurrentCluster()?.server
    if (!server) throw new ClusterAccessError('kubeconfig has no current cluster', [], 'no-cluster')
    const opts: RequestOptions = {}
    await this.kc.applyToHTTPSOptions(opts)
    const ws = new WebSocket(server.replace(/^http/, 'ws') + path, PROTOCOLS, opts as WebSocket.ClientOptions)
    this.onSocket(ws)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buff = isBinary ? data : Buffer.from(data.toString(), 'utf8')
      // v5 close-stream frames (255, n) only tell us a stream ended; the status still follows.
      if (buff.length === 0 || buff[0] === CLOSE_STREAM_CHANNEL || !binaryHandler) return
      // client-node throws on channels it does not know (e.g. 4, resize); inside an event
      // handler that would crash kpx, so such frames are dropped.
      if (buff[0] > 3) return
      try {
        if (!binaryHandler(buff[0], buff.subarray(1))) ws.close()
      } catch {
        // An unparsable status: end the session; 'close' without a status reports it.
        ws.terminate()
      }
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })
  }
}

/** Runs argv in ns/pod/container with tty=false and no stdin; see the file comment for the contract. */
export function execCapture(kc: KubeConfig, ns: string, pod: string, container: string, argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const server = kc.getCurrentCluster()?.server ?? '(no server)'
  const where = `${ns}/${pod}${container ? ` (${container})` : ''}`
  const stdout = collector()
  const stderr = collector()
  return new Promise<ExecResult>((resolve, reject) => {
    let socket: WebSocket | undefined
    let status: V1Status | undefined
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      // terminate() also cancels a handshake in progress, which close() would wait for.
      socket?.terminate()
      outcome()
    }
    const fail = (error: Error) => settle(() => reject(error))
    const timer = setTimeout(() => fail(new ClusterAccessError(`exec in ${where} timed out after ${opts.timeoutMs} ms: ${argv.join(' ')}`, [
      'raise the per-node timeout, or check the node is healthy',
    ], 'exec-timeout')), opts.timeoutMs)
    const onAbort = () => fail(new ClusterAccessError(`exec in ${where} aborted: ${argv.join(' ')}`, [], 'exec-aborted'))
    if (opts.signal?.aborted) return onAbort()
    opts.signal?.addEventListener('abort', onAbort, {once: true})
    const onSocket = (ws: WebSocket) => {
      socket = ws
      if (settled) ws.terminate()
      // ws emits 'error' then 'close' synchronously when the upgrade fails (403, ECONNREFUSED):
      // map the error here, before 'close' could report it as a mere lost connection.
      ws.once('error', (error) => fail(toClusterError(error, {server, verb: 'create', resource: 'pods/exec', namespace: ns})))
      ws.on('close', () => {
        if (status) settle(() => resolve(resultOf(status!, stdout.text(), stderr.text())))
        else fail(new ClusterAccessError(`exec in ${where}: connection closed before the command reported an exit status`, [], 'exec-closed'))
      })
    }
    const onStatus = (s: V1Status) => {
      status = s
      settle(() => resolve(resultOf(s, stdout.text(), stderr.text())))
    }
    new Exec(kc, new CapturingSocketInterface(kc, onSocket))
      .exec(ns, pod, container, argv, stdout.stream, stderr.stream, null, false, onStatus)
      .catch((error: unknown) => fail(toClusterError(error, {server, verb: 'create', resource: 'pods/exec', namespace: ns})))
  })
}

function collector(): {stream: Writable; text: () => string} {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk)
      done()
    },
  })
  return {stream, text: () => Buffer.concat(chunks).toString('utf8')}
}

/** Reads the exit code out of the exec Status (see the file comment). */
export function resultOf(status: V1Status, stdout: string, stderr: string): ExecResult {
  if (status.status === 'Success') return {stdout, stderr, exitCode: 0}
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  const code = Number(cause?.message)
  if (status.reason === 'NonZeroExitCode' && Number.isInteger(code)) return {stdout, stderr, exitCode: code, message: status.message}
  // The runtime could not start the command: use the shell's conventions for the code.
  const notFound = /not found|no such file/i.test(status.message ?? '')
  return {stdout, stderr, exitCode: notFound ? 127 : 126, message: status.message}
}
