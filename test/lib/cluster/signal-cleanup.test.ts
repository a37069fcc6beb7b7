/**
 * Ctrl-C mid-fetch: a child process captures through debug pods that never start; the test
 * sends SIGINT once the pods exist and checks the child deleted every one of them.
 */
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {MANAGED_BY_LABEL} from '../../../src/lib/cluster/debug-pod.js'
import type {Pod} from '../../../src/lib/snapshot/types.js'
import {startFakeApiServer} from '../../helpers/fake-apiserver.js'
import * as s from './scenario.js'

const CHILD = fileURLToPath(new URL('fixtures/capture-until-signal.ts', import.meta.url))
const kpxPods = (pods: unknown[]) => (pods as Pod[]).filter((p) => p.metadata.labels?.[MANAGED_BY_LABEL] === 'kpx')

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const giveUp = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('cluster/cleanup on a real signal', function () {
  this.timeout(60_000)

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while debug pods are starting leaves zero pods`, async () => {
      const srv = await startFakeApiServer({objects: [s.node('n1', '10.0.0.1'), s.node('n2', '10.0.0.2'), s.node('n3', '10.0.0.3')], faults: {podsNeverRun: true}})
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {env: {...process.env, KPX_TEST_KUBECONFIG: srv.kubeconfigPath}, stdio: ['ignore', 'pipe', 'pipe']})
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      try {
        await until(() => kpxPods(srv.pods()).length === 3, 20_000)
        child.kill(signal)
        const code = await exited
        expect(code, stderr).to.equal(signal === 'SIGINT' ? 130 : 143)
        expect(stderr).to.include(`cleanup after ${signal}: 0 failures`)
        expect(kpxPods(srv.pods())).to.deep.equal([])
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL')
        await srv.close()
      }
    })
  }
})
