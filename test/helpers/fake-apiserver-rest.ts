/**
 * REST handlers for resources: list (selectors, paging, Table), watch, get, pod create/delete,
 * deletecollection. Each returns a status code and a JSON body, or streams (watch).
 */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {type ResourceDef, apiVersionOf} from './fake-apiserver-discovery.js'
import {type KubeObject, type Matcher, paginate, parseFieldSelector, parseLabelSelector} from './fake-apiserver-selectors.js'
import {alreadyExists, badRequest, invalidContinue, methodNotAllowed, notFound} from './fake-apiserver-status.js'
import type {ObjectStore, WatchEvent} from './fake-apiserver-store.js'
import {type IncludeObject, toTable, wantsTable} from './fake-apiserver-tables.js'

export interface Reply {
  code: number
  body: unknown
}

export interface ResourceRequest {
  def: ResourceDef
  namespace?: string
  name?: string
  query: URLSearchParams
  accept?: string
}

const ok = (body: unknown, code = 200): Reply => ({code, body})

function typed(def: ResourceDef, obj: KubeObject): object {
  return {kind: def.kind, apiVersion: apiVersionOf(def), ...obj}
}

function selectorMatcher(req: ResourceRequest): Matcher | Reply {
  const labels = parseLabelSelector(req.query.get('labelSelector'))
  if (typeof labels === 'string') return ok(badRequest(labels), 400)
  const fields = parseFieldSelector(req.query.get('fieldSelector'), req.def.name)
  if (typeof fields === 'string') return ok(badRequest(fields), 400)
  return (o) => labels(o) && fields(o)
}

function tableOrObject(req: ResourceRequest, items: KubeObject[], listMeta: object, asList: boolean): object {
  if (wantsTable(req.accept)) {
    const include = (req.query.get('includeObject') ?? 'Metadata') as IncludeObject
    return toTable(req.def.name, items, {include, kind: req.def.kind, apiVersion: apiVersionOf(req.def), listMeta})
  }
  // Like the real server, items of a list carry no kind/apiVersion; the list says it once.
  if (asList) return {kind: `${req.def.kind}List`, apiVersion: apiVersionOf(req.def), metadata: listMeta, items}
  return typed(req.def, items[0])
}

export function listObjects(store: ObjectStore, req: ResourceRequest): Reply {
  const matcher = selectorMatcher(req)
  if (typeof matcher !== 'function') return matcher
  const all = store.list(req.def, req.namespace).filter(matcher)
  const rv = store.resourceVersion
  const page = paginate(all, Number(req.query.get('limit') ?? 0), req.query.get('continue'), rv)
  if (page === 'invalid') return ok(invalidContinue(), 410)
  const listMeta: Record<string, unknown> = {resourceVersion: String(rv)}
  if (page.continueToken) listMeta.continue = page.continueToken
  if (page.remainingItemCount !== undefined) listMeta.remainingItemCount = page.remainingItemCount
  return ok(tableOrObject(req, page.items, listMeta, true))
}

export function getObject(store: ObjectStore, req: ResourceRequest & {name: string}): Reply {
  const obj = store.get(req.def, req.namespace, req.name)
  if (!obj) return ok(notFound(req.def.name, req.def.group, req.name), 404)
  if (wantsTable(req.accept)) return ok(tableOrObject(req, [obj], {resourceVersion: obj.metadata.resourceVersion}, true))
  return ok(typed(req.def, obj))
}

export function createObject(store: ObjectStore, req: ResourceRequest, body: unknown): Reply {
  if (!req.def.writable || !req.namespace) return ok(methodNotAllowed(), 405)
  const pod = body as KubeObject & {metadata: {generateName?: string}}
  if (!pod || typeof pod !== 'object' || !pod.metadata || (!pod.metadata.name && !pod.metadata.generateName)) {
    return ok(badRequest('Pod "" is invalid: metadata.name: Required value: name or generateName is required'), 400)
  }
  const created = store.createPod(req.def, req.namespace, pod)
  if (created === 'exists') return ok(alreadyExists(req.def.name, req.def.group, pod.metadata.name), 409)
  return ok(typed(req.def, created), 201)
}

function gracePeriod(req: ResourceRequest, body: unknown): number | undefined {
  const fromBody = (body as {gracePeriodSeconds?: number} | undefined)?.gracePeriodSeconds
  const fromQuery = req.query.get('gracePeriodSeconds')
  return fromBody ?? (fromQuery === null ? undefined : Number(fromQuery))
}

/** Pods vanish at once: there is no kubelet to wait for, whatever the grace period. */
export function deleteObject(store: ObjectStore, req: ResourceRequest & {name: string}, body: unknown): Reply {
  if (!req.def.writable) return ok(methodNotAllowed(), 405)
  const gone = store.delete(req.def, req.namespace, req.name, gracePeriod(req, body))
  if (!gone) return ok(notFound(req.def.name, req.def.group, req.name), 404)
  return ok(typed(req.def, gone))
}

export function deleteCollection(store: ObjectStore, req: ResourceRequest, body: unknown): Reply {
  if (!req.def.writable) return ok(methodNotAllowed(), 405)
  const matcher = selectorMatcher(req)
  if (typeof matcher !== 'function') return matcher
  const victims = store.list(req.def, req.namespace).filter(matcher)
  const items = victims.map((v) => store.delete(req.def, v.metadata.namespace, v.metadata.name, gracePeriod(req, body))!)
  return ok({kind: `${req.def.kind}List`, apiVersion: apiVersionOf(req.def), metadata: {resourceVersion: String(store.resourceVersion)}, items})
}

/**
 * A watch stream: one JSON event per line. Without a resourceVersion (or "0") the server first
 * replays the current objects as ADDED, as kube-apiserver does; the fake keeps no history, so a
 * watch from an older resourceVersion only sees changes from now on.
 */
export function watchObjects(store: ObjectStore, req: ResourceRequest, res: ServerResponse, _httpReq: IncomingMessage): void {
  const matcher = selectorMatcher(req)
  if (typeof matcher !== 'function') {
    res.writeHead(matcher.code, {'Content-Type': 'application/json'}).end(JSON.stringify(matcher.body))
    return
  }
  const inScope = (o: KubeObject) => (req.namespace === undefined || o.metadata.namespace === req.namespace) && matcher(o)
  res.writeHead(200, {'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked'})
  res.flushHeaders() // clients consider the watch open once headers arrive, even before any event
  const send = (type: string, o: KubeObject) => res.write(JSON.stringify({type, object: typed(req.def, o)}) + '\n')
  const rv = req.query.get('resourceVersion')
  if (!rv || rv === '0') for (const o of store.list(req.def, req.namespace).filter(inScope)) send('ADDED', o)
  const onChange = (ev: WatchEvent) => {
    if (ev.resource === req.def.name && inScope(ev.object)) send(ev.type, ev.object)
  }
  store.events.on('change', onChange)
  const timeout = Number(req.query.get('timeoutSeconds') ?? 0)
  const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined
  res.on('close', () => {
    store.events.off('change', onChange)
    if (timer) clearTimeout(timer)
  })
}
