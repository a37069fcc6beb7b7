import {expect} from 'chai'

import {retryDelayMs, toClusterError, withRetry} from '../../../src/lib/cluster/api-errors.js'
import {ApiException} from '@kubernetes/client-node'

const ctx = {server: 'https://api.example:6443', verb: 'list', resource: 'services', namespace: 'shop'}

function apiError(code: number, body?: unknown, headers: Record<string, string> = {}) {
  return new ApiException(code, 'x', body, headers)
}

const forbiddenBody = {
  kind: 'Status',
  status: 'Failure',
  reason: 'Forbidden',
  code: 403,
  message: 'pods "kube-proxy-a" is forbidden: User "me" cannot create resource "pods/exec" in API group "" in the namespace "kube-system"',
  details: {name: 'kube-proxy-a', kind: 'pods'},
}

describe('cluster/api-errors', () => {
  const cases: {name: string; error: unknown; message: string; code: string; exit?: number}[] = [
    {name: 'connection refused', error: Object.assign(new Error('request to https://api.example:6443/api/v1/nodes failed, reason: connect ECONNREFUSED'), {code: 'ECONNREFUSED', type: 'system'}), message: 'cannot reach the API server at https://api.example:6443 (ECONNREFUSED)', code: 'unreachable'},
    {name: 'DNS failure', error: Object.assign(new Error('getaddrinfo ENOTFOUND api.example'), {code: 'ENOTFOUND'}), message: 'cannot reach the API server at https://api.example:6443 (ENOTFOUND)', code: 'unreachable'},
    {name: 'request timeout (AbortSignal)', error: Object.assign(new Error('The operation was aborted.'), {name: 'AbortError', type: 'aborted'}), message: 'cannot reach the API server at https://api.example:6443 (timed out)', code: 'unreachable'},
    {name: 'ws connect error event', error: {type: 'error', message: 'connect ECONNREFUSED 127.0.0.1:1', error: {code: 'ECONNREFUSED'}}, message: 'cannot reach the API server at https://api.example:6443 (ECONNREFUSED)', code: 'unreachable'},
    {name: '401', error: apiError(401), message: 'credentials rejected by https://api.example:6443 (expired token?)', code: 'unauthorized'},
    {name: '403 from the Status message, namespaced', error: apiError(403, forbiddenBody), message: 'RBAC: forbidden to create pods/exec in namespace kube-system', code: 'forbidden'},
    {name: '403 at cluster scope', error: apiError(403, {message: 'nodes is forbidden: User "me" cannot list resource "nodes" in API group "" at the cluster scope'}), message: 'RBAC: forbidden to list nodes at cluster scope', code: 'forbidden'},
    {name: '403 body as a JSON string', error: apiError(403, JSON.stringify(forbiddenBody)), message: 'RBAC: forbidden to create pods/exec in namespace kube-system', code: 'forbidden'},
    {name: '403 without a body falls back to what was attempted', error: apiError(403), message: 'RBAC: forbidden to list services in namespace shop', code: 'forbidden'},
    {name: 'exec upgrade refused with 403', error: {message: 'Unexpected server response: 403'}, message: 'RBAC: forbidden to list services in namespace shop', code: 'forbidden'},
    {name: '404', error: apiError(404), message: 'services not found in namespace shop', code: 'not-found', exit: 5},
    {name: '500 keeps the server message', error: apiError(500, {message: 'etcdserver: request timed out'}), message: 'API server https://api.example:6443 failed to list services (HTTP 500): etcdserver: request timed out', code: 'api-error'},
  ]
  for (const c of cases) {
    it(`maps ${c.name}`, () => {
      const mapped = toClusterError(c.error, ctx)
      expect(mapped.message).to.equal(c.message)
      expect(mapped.code).to.equal(c.code)
      expect(mapped.exitCode).to.equal(c.exit ?? 3)
    })
  }

  it('403 and 401 suggest what to do', () => {
    expect(toClusterError(apiError(403, forbiddenBody), ctx).suggestions.join()).to.match(/kpx rbac/)
    expect(toClusterError(apiError(401), ctx).suggestions.join()).to.match(/credentials/)
  })

  describe('retry', () => {
    const delays: [string, unknown, number, 'none' | 'exact' | 'backoff', number?][] = [
      ['429 with Retry-After: 2', apiError(429, undefined, {'retry-after': '2'}), 1, 'exact', 2000],
      ['429 without Retry-After', apiError(429), 1, 'backoff'],
      ['503', apiError(503), 2, 'backoff'],
      ['connection reset', {code: 'ECONNRESET', message: 'socket hang up'}, 1, 'backoff'],
      ['401 is not retried', apiError(401), 1, 'none'],
      ['403 is not retried', apiError(403), 1, 'none'],
      ['connection refused is not retried', {code: 'ECONNREFUSED'}, 1, 'none'],
    ]
    for (const [name, error, attempt, kind, exact] of delays) {
      it(name, () => {
        const delay = retryDelayMs(error, attempt, {baseDelayMs: 100})
        if (kind === 'none') expect(delay).to.equal(undefined)
        else if (kind === 'exact') expect(delay).to.equal(exact)
        else expect(delay).to.be.within(50 * 2 ** (attempt - 1), 100 * 2 ** (attempt - 1))
      })
    }

    it('withRetry retries until success and reports each wait', async () => {
      let calls = 0
      const waits: number[] = []
      const result = await withRetry(
        async () => {
          calls++
          if (calls < 3) throw apiError(429, undefined, {'retry-after': '1'})
          return 'ok'
        },
        {sleep: async (ms) => void waits.push(ms)},
      )
      expect({result, calls, waits}).to.deep.equal({result: 'ok', calls: 3, waits: [1000, 1000]})
    })

    it('withRetry gives up after the attempts and throws the last error', async () => {
      let calls = 0
      const error = await withRetry(
        async () => {
          calls++
          throw apiError(503)
        },
        {attempts: 3, sleep: async () => undefined},
      ).catch((e: unknown) => e)
      expect(calls).to.equal(3)
      expect((error as ApiException<unknown>).code).to.equal(503)
    })
  })
})
