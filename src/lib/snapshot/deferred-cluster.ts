/**
 * cluster.json read deferred (readSnapshot's `deferCluster`): nothing is read until an object is
 * used, and then the whole file is read and parsed here, as the eager path does (same objects,
 * same errors). For `kpx check`, whose cluster side is built from the file on a worker thread
 * (checks/expectations-thread.ts, which finds the file with deferredClusterPath): this thread
 * reads it only if something else uses the objects, or the worker fails.
 */
import {readFileSync} from 'node:fs'

import {InputError} from '../errors.js'
import {parseClusterJson} from './cluster-json.js'
import {describeFsError} from './fs-errors.js'
import {decodeText} from './text-file.js'
import type {ClusterObjects} from './types.js'

const FIELDS = ['nodes', 'services', 'endpointSlices', 'pods', 'configMaps'] as const

/** The file behind each deferred ClusterObjects. */
const PATHS = new WeakMap<ClusterObjects, string>()

/** ClusterObjects of the file at `path`, read and parsed on first use (a bad file throws then). */
export function deferredCluster(path: string): ClusterObjects {
  let objects: ClusterObjects | undefined
  const load = () => (objects ??= readClusterFile(path))
  const deferred = {} as ClusterObjects
  // Enumerable, as plain fields are: a spread or JSON.stringify of the objects sees them.
  for (const field of FIELDS) Object.defineProperty(deferred, field, {enumerable: true, get: () => load()[field]})
  PATHS.set(deferred, path)
  return deferred
}

/** The file of ClusterObjects from deferredCluster, undefined for any others. */
export function deferredClusterPath(objects: ClusterObjects): string | undefined {
  return PATHS.get(objects)
}

function readClusterFile(path: string): ClusterObjects {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (error) {
    throw new InputError(`${path}: ${describeFsError(error as NodeJS.ErrnoException)}`)
  }
  return parseClusterJson(decodeText(bytes), path)
}
