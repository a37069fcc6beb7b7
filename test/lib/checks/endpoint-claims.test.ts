/**
 * KUBE-SEP name claims (hash-mismatch's hashing): the verdicts are the same computed directly,
 * through the text a worker thread is sent, and on a ClaimsThread whose worker cannot start
 * (the fallback). The real worker is held to the same answers in test/commands/check-thread.test.ts.
 */
import {expect} from 'chai'
import {ClaimsThread} from '../../../src/lib/checks/claims-thread.js'
import {claimHolds, encodeClaims, verifyClaims, verifyEncodedClaims} from '../../../src/lib/checks/endpoint-claims.js'
import {sampleClaims} from './helpers.js'

describe('checks: KUBE-SEP name claims', () => {
  const {claims, expected} = sampleClaims()

  it('are verified as endpointChainName names them', () => {
    expect([...verifyClaims(claims)]).to.deep.equal(expected)
    expect(claims.map((c) => (claimHolds(c.chain, c.claimed, c.endpoint) ? 1 : 0))).to.deep.equal(expected)
  })

  it('give the same verdicts through the text a worker thread is sent', () => {
    expect([...verifyEncodedClaims(encodeClaims(claims))]).to.deep.equal(expected)
    expect([...verifyEncodedClaims(encodeClaims([]))]).to.deep.equal([])
  })

  it('are verified on the calling thread when the worker cannot start', async () => {
    const thread = new ClaimsThread(new URL('file:///nonexistent/endpoint-claims-worker.js'))
    try {
      expect([...(await thread.verify(claims))]).to.deep.equal(expected)
      expect([...(await thread.verify(claims.slice(0, 3)))]).to.deep.equal(expected.slice(0, 3))
    } finally {
      await thread.close()
    }
  })
})
