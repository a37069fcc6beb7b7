/**
 * Worker thread entry (bundled as dist/bundled/expectations-worker.js): reads and parses the
 * cluster.json it is told of, builds check's expectations from it, and answers twice: first the
 * hash index (the rules view needs it soonest), then the rest, compactly (expectations-wire.ts).
 * A file that cannot be read or parsed gets `{failed: true}`: the main thread then reads it
 * itself, and reports its error exactly as it always has.
 */
import {readFileSync} from 'node:fs'
import {parentPort} from 'node:worker_threads'

import {parseClusterJson} from '../snapshot/cluster-json.js'
import {decodeText} from '../snapshot/text-file.js'
import type {ExpectationsReply, ExpectationsRequest} from './expectations-thread.js'
import {buildExpectations, servicePortsHashIndex} from './expectations.js'
import {encodeExpectations} from './expectations-wire.js'

parentPort?.once('message', ({path}: ExpectationsRequest) => {
  const reply = (message: ExpectationsReply, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(message, transfer)
  let objects
  try {
    objects = parseClusterJson(decodeText(readFileSync(path)), path)
  } catch {
    return reply({failed: true})
  }
  const hashIndex = servicePortsHashIndex(objects.services)
  reply({hashIndex})
  const wire = encodeExpectations(buildExpectations(objects, hashIndex))
  reply({wire}, [wire.numbers.buffer as ArrayBuffer])
})
