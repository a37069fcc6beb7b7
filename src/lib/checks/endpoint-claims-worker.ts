/**
 * Worker thread entry (bundled as dist/bundled/endpoint-claims-worker.js): verifies the KUBE-SEP
 * name claims it is sent (endpoint-claims.ts) and answers with one verdict byte per claim.
 * Imports only the hashing code, so it starts in a few milliseconds.
 */
import {parentPort} from 'node:worker_threads'

import {verifyEncodedClaims} from './endpoint-claims.js'

parentPort?.on('message', ({id, text}: {id: number; text: string}) => {
  const verdicts = verifyEncodedClaims(text)
  parentPort?.postMessage({id, verdicts}, [verdicts.buffer as ArrayBuffer])
})
