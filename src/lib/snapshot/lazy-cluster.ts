/**
 * cluster.json read lazily: the whole text is validated as JSON up front (cluster-scan.ts), but
 * an object is JSON.parse'd and validated only when used, so `kpx trace` pays for the few
 * Services, EndpointSlices, pods and nodes it looks up, not for all of them. Opt-in
 * (readSnapshot's `lazyCluster`): for a command that uses every object (check) the scan is
 * extra work, and the eager path is faster.
 *
 * The promise: every result and every error is the eager path's (parseClusterJson). Files the
 * scan cannot vouch for (invalid JSON, a single object, Lists of Lists, an item without a name)
 * go to the eager path whole. A problem found in an object is reported as the eager path would
 * report the file: the first problem in document order up to that object.
 */
import {isAscii} from 'node:buffer'

import {scanList} from './cluster-scan.js'
import {checkedObject, fieldOfKind, hasName, isListKind, isObject, parseClusterJson} from './cluster-json.js'
import {type Decode, InvalidJson} from './json-scan.js'
import {decodeText} from './text-file.js'
import type {ClusterObjects} from './types.js'

type Field = keyof ClusterObjects
const FIELDS: Field[] = ['nodes', 'services', 'endpointSlices', 'pods', 'configMaps']

export interface LazyItem {
  field: Field
  kind: string
  /** The item cut down to the fields lookups use (cluster-scan.ts ITEM_SHAPE). */
  skeleton: Record<string, unknown>
  start: number
  end: number
  /** Position in the file's `items`, for messages (`items[N]`). */
  index: number
}

/** The objects behind lazily read ClusterObjects, for indexCluster. */
const SOURCES = new WeakMap<ClusterObjects, LazyCluster>()

export class LazyCluster {
  private readonly parsed: (object | undefined)[] = []
  private readonly positions = new Map<object, number>()

  constructor(
    private readonly decode: Decode,
    private readonly origin: string,
    private readonly items: LazyItem[],
  ) {
    for (const [k, item] of items.entries()) this.positions.set(item.skeleton, k)
  }

  /** Skeletons per list, in file order: what indexCluster computes its keys from. */
  skeletons(): ClusterObjects {
    const lists = {nodes: [], services: [], endpointSlices: [], pods: [], configMaps: []} as Record<Field, object[]>
    for (const item of this.items) lists[item.field].push(item.skeleton)
    return lists as unknown as ClusterObjects
  }

  /** The validated object a skeleton stands for (parsed once; the same object every time). */
  full<T>(skeleton: T): T {
    if (skeleton === undefined) return skeleton
    const k = this.positions.get(skeleton as object)
    if (k === undefined) throw new Error('not a skeleton of this cluster.json')
    return this.object(k) as T
  }

  /** Every object of one list, in file order. */
  list(field: Field): object[] {
    const out: object[] = []
    for (const [k, item] of this.items.entries()) if (item.field === field) out.push(this.object(k))
    return out
  }

  private object(k: number): object {
    let value = this.parsed[k]
    if (value === undefined) {
      try {
        value = this.check(k)
      } catch (error) {
        throw this.firstError(k) ?? error
      }
      this.parsed[k] = value
    }
    return value
  }

  private check(k: number): object {
    const item = this.items[k]
    const value = JSON.parse(this.decode(item.start, item.end)) as Record<string, unknown>
    return checkedObject(value, item.kind, `items[${item.index}]`, this.origin)
  }

  /** The error of the first bad object before `k` (the one the eager path would have thrown). */
  private firstError(k: number): unknown {
    for (let j = 0; j < k; j++) {
      if (this.parsed[j] !== undefined) continue
      try {
        this.check(j)
      } catch (error) {
        return error
      }
    }
    return undefined
  }
}

/** The lazy source of ClusterObjects read by readClusterJson, unless a list was replaced since. */
export function lazySourceOf(objects: ClusterObjects): LazyCluster | undefined {
  return SOURCES.get(objects)
}

/**
 * cluster.json's bytes → ClusterObjects whose lists are read on first access. Same results and
 * errors as parseClusterJson on the decoded text (its fallback for anything but a plain List).
 */
export function readClusterJson(bytes: Buffer, origin: string): ClusterObjects {
  return clusterFromScan(bytes, origin, scanClusterItems(bytes))
}

/**
 * The scan's half of readClusterJson: the items of a plain List, or undefined when the eager
 * path must read (and judge) the file. Needs only the bytes, so it can run on another thread
 * (cluster-thread.ts); clusterFromScan finishes the job where the bytes are used.
 */
export function scanClusterItems(bytes: Uint8Array): LazyItem[] | undefined {
  const {decode, bom} = decoderOf(bytes)
  return scanItems(bytes, bom, decode)
}

/** ClusterObjects from the bytes and what scanClusterItems found in them. */
export function clusterFromScan(bytes: Buffer, origin: string, items: LazyItem[] | undefined): ClusterObjects {
  return items === undefined ? parseClusterJson(decodeText(bytes), origin) : lazyClusterObjects(new LazyCluster(decoderOf(bytes).decode, origin, items))
}

function decoderOf(bytes: Uint8Array): {decode: Decode; bom: number} {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ascii = isAscii(buffer)
  // Item boundaries are ASCII bytes, so decoding an item alone gives the same text as slicing the whole.
  const decode: Decode = ascii ? (start, end) => buffer.toString('latin1', start, end) : (start, end) => buffer.toString('utf8', start, end)
  const bom = !ascii && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0
  return {decode, bom}
}

/** The items of kinds kpx reads, or undefined when the eager path must read (and judge) the file. */
function scanItems(bytes: Uint8Array, from: number, decode: Decode): LazyItem[] | undefined {
  let list
  try {
    list = scanList(bytes, from, decode)
  } catch (error) {
    // Invalid JSON: JSON.parse gives the message. RangeError: nesting too deep for the scan.
    if (error instanceof InvalidJson || error instanceof RangeError) return undefined
    throw error
  }
  if (!list || typeof list.kind !== 'string' || !isListKind(list.kind)) return undefined
  // `ServiceList` items from the raw API carry no kind: it is implied by the list's kind.
  const implied = list.kind === 'List' ? undefined : list.kind.slice(0, -'List'.length)
  const items: LazyItem[] = []
  for (const [index, {skeleton, start, end}] of list.items.entries()) {
    if (!isObject(skeleton)) return undefined
    const kind = typeof skeleton.kind === 'string' ? skeleton.kind : implied
    if (kind !== undefined && isListKind(kind)) return undefined
    const field = fieldOfKind(kind)
    if (field === undefined) continue
    if (!hasName(skeleton)) return undefined
    items.push({field, kind: kind as string, skeleton, start, end, index})
  }
  return items
}

function lazyClusterObjects(lazy: LazyCluster): ClusterObjects {
  const objects = {} as ClusterObjects
  for (const field of FIELDS) {
    let memo: object[] | undefined
    Object.defineProperty(objects, field, {
      enumerable: true,
      configurable: true,
      get: () => (memo ??= lazy.list(field)),
      set(value: object[]) {
        memo = value
        // Lookups must now see the caller's list: indexCluster goes back to the eager index.
        SOURCES.delete(objects)
      },
    })
  }
  SOURCES.set(objects, lazy)
  return objects
}
