/**
 * Turning what client-node throws into one-line ClusterAccessErrors, and retrying what is
 * worth retrying. client-node 1.x throws `ApiException {code, body, headers}` for HTTP errors
 * (body: the parsed Status when the server sent JSON) and node-fetch's `FetchError {code:
 * 'ECONNREFUSED'…}` / `AbortError` for transport failures; the exec WebSocket fails with
 * ws's "Unexpected server response: 403" or a socket error.
 */
import {ClusterAccessError, KpxError, NotFoundError} from '../errors.js'

/** What was being attempted, so a 403 can say which permission is missing. */
export interface ApiCallContext {
  server: string
  verb: string
  resource: string
  namespace?: string
}

interface StatusBody {
  message?: string
  reason?: string
  details?: {kind?: string; group?: string; name?: string}
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

/** The HTTP status of an error from client-node (REST or exec upgrade), if it carries one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as {code?: unknown}).code
  if (typeof code === 'number') return code
  const match = /Unexpected server response: (\d{3})/.exec(messageOf(error))
  return match ? Number(match[1]) : undefined
}

function messageOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error)
  const e = error as {message?: unknown; error?: {message?: unknown}}
  // isomorphic-ws hands onerror an ErrorEvent whose real error sits in `.error`.
  return String(e.message ?? e.error?.message ?? '')
}

function networkCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as {code?: unknown; name?: unknown; type?: unknown; error?: {code?: unknown}}
  if (e.name === 'AbortError' || e.type === 'aborted' || e.name === 'TimeoutError') return 'ETIMEDOUT'
  for (const code of [e.code, e.error?.code]) if (typeof code === 'string' && NETWORK_CODES.has(code)) return code
  const fromMessage = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/.exec(messageOf(error))
  return fromMessage?.[1]
}

function statusBodyOf(error: unknown): StatusBody | undefined {
  let body = (error as {body?: unknown}).body
  if (typeof body === 'string') {
    const text = body
    try {
      body = JSON.parse(text)
    } catch {
      return {message: text}
    }
  }
  return typeof body === 'object' && body !== null ? (body as StatusBody) : undefined
}

/** "User "x" cannot list resource "services" in API group "" in the namespace "y"" → its parts. */
function forbiddenParts(message: string | undefined, ctx: ApiCallContext): {verb: string; resource: string; where: string} {
  const m = /cannot (\S+) resource "([^"]+)"(?: in API group "[^"]*")?(?: in the namespace "([^"]+)")?/.exec(message ?? '')
  const namespace = m ? m[3] : ctx.namespace
  return {
    verb: m?.[1] ?? ctx.verb,
    resource: m?.[2] ?? ctx.resource,
    where: namespace ? `in namespace ${namespace}` : 'at cluster scope',
  }
}

/** Maps any error from an API call to a KpxError; KpxErrors pass through unchanged. */
export function toClusterError(error: unknown, ctx: ApiCallContext): KpxError {
  if (error instanceof KpxError) return error
  const network = networkCodeOf(error)
  if (network) {
    const why = network === 'ETIMEDOUT' ? 'timed out' : network
    return new ClusterAccessError(`cannot reach the API server at ${ctx.server} (${why})`, [
      'check the cluster is up and your network/VPN, or pick another context with --context',
    ], 'unreachable', error)
  }
  const status = httpStatusOf(error)
  const body = statusOf(error)
  if (status === 401) {
    return new ClusterAccessError(`credentials rejected by ${ctx.server} (expired token?)`, [
      'refresh your credentials (e.g. log in again) and retry',
    ], 'unauthorized', error)
  }
  if (status === 403) {
    const {verb, resource, where} = forbiddenParts(body?.message, ctx)
    return new ClusterAccessError(`RBAC: forbidden to ${verb} ${resource} ${where}`, [
      'grant kpx the permissions it needs: kpx rbac --transport <kube-proxy|debug-pod> | kubectl apply -f -',
    ], 'forbidden', error)
  }
  if (status === 404) {
    return new NotFoundError(`${ctx.resource} not found${ctx.namespace ? ` in namespace ${ctx.namespace}` : ''}`, [], 'not-found')
  }
  const detail = body?.message ?? messageOf(error).split('\n')[0]
  return new ClusterAccessError(`API server ${ctx.server} failed to ${ctx.verb} ${ctx.resource}${status ? ` (HTTP ${status})` : ''}: ${detail}`, [], 'api-error', error)
}

function statusOf(error: unknown): StatusBody | undefined {
  return typeof error === 'object' && error !== null ? statusBodyOf(error) : undefined
}

export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  attempts?: number
  baseDelayMs?: number
  maxDelayMs?: number
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Retries 429 (honouring Retry-After), 5xx and connection resets with exponential back-off
 * and jitter. Connection refused, DNS failures, 4xx are not retried: retrying them only delays
 * the error the user has to act on.
 */
export async function withRetry<T>(call: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5
  const sleep = opts.sleep ?? defaultSleep
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      const delay = retryDelayMs(error, attempt, opts)
      if (delay === undefined || attempt >= attempts) throw error
      opts.onRetry?.(attempt, delay, error)
      await sleep(delay)
    }
  }
}

/** How long to wait before retrying `error`, or undefined when it must not be retried. */
export function retryDelayMs(error: unknown, attempt: number, opts: RetryOptions = {}): number | undefined {
  const base = opts.baseDelayMs ?? 250
  const max = opts.maxDelayMs ?? 10_000
  const status = httpStatusOf(error)
  const backoff = Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
  if (status === 429) {
    const retryAfter = Number(headerOf(error, 'retry-after'))
    return Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(max, retryAfter * 1000) : backoff
  }
  if (status !== undefined && status >= 500 && status !== 501) return backoff
  if (status === undefined && networkCodeOf(error) === 'ECONNRESET') return backoff
  return undefined
}

function headerOf(error: unknown, name: string): string | undefined {
  const headers = (error as {headers?: unknown}).headers
  if (!headers || typeof headers !== 'object') return undefined
  const value = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()]
  return typeof value === 'string' ? value : undefined
}
