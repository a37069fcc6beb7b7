import {EventEmitter} from 'node:events'

import {expect} from 'chai'

import {CleanupRegistry, installSignalCleanup, withCleanup} from '../../../src/lib/cluster/cleanup.js'

describe('cluster/cleanup', () => {
  it('runs every action once, concurrently, and reports failures without hiding the others', async () => {
    const registry = new CleanupRegistry()
    const ran: string[] = []
    registry.add('a', async () => void ran.push('a'))
    registry.add('boom', async () => {
      throw new Error('pod busy')
    })
    const removed = registry.add('c', async () => void ran.push('c'))
    removed()
    registry.add('d', async () => void ran.push('d'))
    const [first, second] = await Promise.all([registry.runAll(), registry.runAll()])
    expect(first).to.deep.equal(['boom: pod busy'])
    expect(second).to.equal(first)
    expect(ran.sort()).to.deep.equal(['a', 'd'])
    expect(registry.closing).to.equal(true)
  })

  it('withCleanup runs the cleanups on success and on error', async () => {
    const ran: string[] = []
    await withCleanup(async (r) => r.add('x', async () => void ran.push('ok')))
    const error = await withCleanup(async (r) => {
      r.add('y', async () => void ran.push('err'))
      throw new Error('capture failed')
    }).catch((e: Error) => e.message)
    expect({ran, error}).to.deep.equal({ran: ['ok', 'err'], error: 'capture failed'})
  })

  it('on SIGINT/SIGTERM runs the cleanups, then hands over to the caller', async () => {
    const proc = new EventEmitter()
    const registry = new CleanupRegistry()
    const ran: string[] = []
    registry.add('pod', async () => void ran.push('deleted'))
    const done = new Promise<string>((resolve) => installSignalCleanup(registry, (signal) => resolve(signal), proc as never))
    proc.emit('SIGTERM')
    expect(await done).to.equal('SIGTERM')
    expect(ran).to.deep.equal(['deleted'])
  })

  it('the uninstaller removes the handlers', () => {
    const proc = new EventEmitter()
    const uninstall = installSignalCleanup(new CleanupRegistry(), () => undefined, proc as never)
    expect(proc.listenerCount('SIGINT')).to.equal(1)
    uninstall()
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).to.equal(0)
  })
})
