/**
 * Worker thread entry (bundled as dist/bundled/expectations-worker.js): reads and parses the
 * cluster.json it is told of, builds check's expectations from it, and answers twice: first the
 * hash index (the rules view needs it soonest), on a port of its own that the main thread can
 * read while it waits, then the rest, compactly (expectations-wire.ts).
 * A file that cannot be read or parsed gets `{failed: true}`: the main thread then reads it
 * itself, and reports its error exactly as it always has.
 */
import {readFileSync} from 'node:fs'
import {parentPort} from 'node:worker_threads'

import {parseClusterJson} from '../snapshot/cluster-json.js'
import {decodeText} from '../snapshot/text-file.js'
import {type ExpectationsReply, type ExpectationsRequest, FAILED, SENT} from './expectations-start.js'
import {buildExpectations, servicePortsHashIndex} from './expectations.js'
import {encodeExpectations} from './expectations-wire.js'

parentPort?.once('message', ({path, indexPort, indexState}: ExpectationsRequest) => {
  const reply = (message: ExpectationsReply, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(message, transfer)
  let objects
  let hashIndex
  try {
    objects = parseClusterJson(decodeText(readFileSync(path)), path)
    hashIndex = servicePortsHashIndex(objects.services)
    indexPort.postMessage({hashIndex})
  } catch {
    return reply({failed: true})
  } finally {
    // The main thread may be blocked waiting for this (ExpectationsThread.hashIndexNow).
    Atomics.store(indexState, 0, hashIndex ? SENT : FAILED)
    Atomics.notify(indexState, 0)
  }
  const wire = encodeExpectations(buildExpectations(objects, hashIndex))
  reply({wire}, [wire.ints.buffer as ArrayBuffer])
})
