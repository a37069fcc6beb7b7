import {expect} from 'chai'

import {
  AddressError,
  addressFamily,
  CANONICAL_IPV4,
  CANONICAL_IPV4_ENDPOINT,
  canonicalIp,
  cidrContains,
  cidrCovers,
  formatEndpoint,
  parseAddress,
  parseCidr,
  parseEndpoint,
} from '../../../src/lib/net/ip.js'
import {formatPortRange, parsePortRange, portInRange, tryParsePortRange} from '../../../src/lib/net/ports.js'

describe('net/ip', () => {
  describe('parseAddress: valid corpus', () => {
    const valid: [string, 4 | 6, string][] = [
      ['10.0.0.1', 4, '10.0.0.1'],
      ['0.0.0.0', 4, '0.0.0.0'],
      ['255.255.255.255', 4, '255.255.255.255'],
      ['fd00::1', 6, 'fd00::1'],
      ['FD00:0:0:0:0:0:0:1', 6, 'fd00::1'],
      ['::', 6, '::'],
      ['::1', 6, '::1'],
      ['2001:db8::10:1', 6, '2001:db8::10:1'],
      ['::ffff:10.0.0.1', 6, '::ffff:a00:1'],
    ]
    for (const [input, family, canonical] of valid) {
      it(`${input} → IPv${family} ${canonical}`, () => {
        const a = parseAddress(input)
        expect(a.family).to.equal(family)
        expect(a.text).to.equal(canonical)
        expect(a.bytes).to.have.length(family === 4 ? 4 : 16)
      })
    }
  })

  describe('parseAddress: invalid corpus', () => {
    const invalid = ['', '10.0.0', '10.1', '256.0.0.1', '10.0.0.1.2', '0x0a.0.0.1', '010.0.0.1x', 'fd00::1::2', 'fe80::1%eth0', 'fd00:::1', 'hello', ' 10.0.0.1', '10.0.0.1/32', '[fd00::1]']
    for (const input of invalid) {
      it(`rejects "${input}" with AddressError`, () => {
        expect(() => parseAddress(input)).to.throw(AddressError)
        expect(addressFamily(input)).to.equal(undefined)
      })
    }
  })

  describe('parseCidr', () => {
    it('accepts a bare address as a host route', () => {
      expect(parseCidr('10.0.0.1')).to.include({prefix: 32, text: '10.0.0.1/32'})
      expect(parseCidr('fd00::1')).to.include({prefix: 128, text: 'fd00::1/128'})
    })
    it('keeps host bits as written', () => expect(parseCidr('10.1.2.3/8').text).to.equal('10.1.2.3/8'))
    for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/ 8', 'x/8']) {
      it(`rejects ${bad}`, () => expect(() => parseCidr(bad)).to.throw(AddressError))
    }
  })

  describe('cidrContains (host in subnet)', () => {
    const cases: [string, string, boolean][] = [
      ['10.0.0.0/8', '10.255.1.2', true],
      ['10.0.0.0/8', '11.0.0.0', false],
      ['10.1.2.3/8', '10.9.9.9', true], // host bits of the CIDR do not matter
      ['0.0.0.0/0', '192.168.0.1', true],
      ['10.0.0.1', '10.0.0.1', true],
      ['10.0.0.1', '10.0.0.2', false],
      ['10.0.0.0/31', '10.0.0.1', true],
      ['10.0.0.0/31', '10.0.0.2', false],
      ['192.168.0.0/23', '192.168.1.255', true],
      ['192.168.0.0/23', '192.168.2.0', false],
      ['fd00::/64', 'fd00::1234', true],
      ['fd00::/64', 'fd00:0:0:1::1', false],
      ['::/0', '2001:db8::1', true],
      ['::/0', '10.0.0.1', false], // families never mix
      ['0.0.0.0/0', '::1', false],
      ['::ffff:0:0/96', '10.0.0.1', false],
    ]
    for (const [cidr, addr, expected] of cases) {
      it(`${addr} in ${cidr}: ${expected}`, () => expect(cidrContains(cidr, addr)).to.equal(expected))
    }
  })

  describe('cidrCovers (subnet in subnet)', () => {
    it('a /16 inside its /8', () => expect(cidrCovers('10.0.0.0/8', '10.1.0.0/16')).to.equal(true))
    it('a /8 is not inside a /16', () => expect(cidrCovers('10.1.0.0/16', '10.0.0.0/8')).to.equal(false))
    it('a sibling is not covered', () => expect(cidrCovers('10.0.0.0/16', '10.1.0.0/16')).to.equal(false))
  })

  describe('endpoints', () => {
    const cases: [string, string, number][] = [
      ['10.0.0.1:80', '10.0.0.1', 80],
      ['[fd00::1]:8080', 'fd00::1', 8080],
      ['[FD00:0::1]:0', 'fd00::1', 0],
      ['1.2.3.4:65535', '1.2.3.4', 65535],
    ]
    for (const [text, ip, port] of cases) {
      it(`parses ${text}`, () => {
        const e = parseEndpoint(text)
        expect(e).to.include({ip, port})
        expect(parseEndpoint(formatEndpoint(e.ip, e.port))).to.deep.equal(e)
      })
    }
    for (const bad of ['10.0.0.1', '10.0.0.1:', '10.0.0.1:65536', '10.0.0.1:-1', 'fd00::1:80', '[fd00::1]', '[fd00::1]80', 'x:80', '10.0.0.1:8o']) {
      it(`rejects ${bad}`, () => expect(() => parseEndpoint(bad)).to.throw(AddressError))
    }
    it('formats IPv6 in brackets', () => expect(formatEndpoint('fd00::1', 53)).to.equal('[fd00::1]:53'))
  })

  // The shortcuts that skip parsing: a string they accept must be what canonicalIp and
  // formatEndpoint would give back unchanged, and one they refuse must not be.
  describe('canonical IPv4 spellings', () => {
    const octets = ['0', '7', '00', '07', '10', '010', '99', '100', '199', '249', '250', '255', '256', '300', '1000']
    const quads = octets.flatMap((a) => octets.map((b) => `${a}.1.${b}.4`)).concat(['1.2.3', '1.2.3.4.5', '::ffff:1.2.3.4', 'x.1.2.3', '1.2.3.4/32'])
    it('CANONICAL_IPV4 accepts exactly the dotted quads canonicalIp leaves unchanged', () => {
      for (const quad of quads) {
        expect(CANONICAL_IPV4.test(quad), quad).to.equal(addressFamily(quad) === 4 && canonicalIp(quad) === quad)
      }
    })
    // Sound, not complete: port 0, say, takes the slow path, which gives the same answer.
    it('CANONICAL_IPV4_ENDPOINT accepts only ip:port that formatEndpoint writes back the same', () => {
      for (const quad of quads) {
        for (const port of ['80', '080', '0', '65535', '65536', '123456']) {
          const text = `${quad}:${port}`
          let same = false
          try {
            const {ip, port: number} = parseEndpoint(text)
            same = addressFamily(ip) === 4 && formatEndpoint(canonicalIp(ip), number) === text
          } catch {
            same = false
          }
          // The expression checks the shape only; a port above 65535 is parseEndpoint's to refuse.
          if (Number(port) > 65535) continue
          if (CANONICAL_IPV4_ENDPOINT.test(text)) expect(same, text).to.equal(true)
          else if (port !== '0') expect(same, text).to.equal(false)
        }
      }
    })
  })
})

describe('net/ports', () => {
  const valid: [string, number, number][] = [
    ['80', 80, 80],
    ['0', 0, 0],
    ['65535', 65535, 65535],
    ['80:90', 80, 90],
    [':90', 0, 90],
    ['1024:', 1024, 65535],
  ]
  for (const [text, from, to] of valid) {
    it(`${text} → ${from}-${to}`, () => expect(parsePortRange(text)).to.deep.equal({from, to}))
  }
  for (const bad of ['', '65536', '99999', '90:80', 'http', '-1', '80-90', '1:2:3', '080000', ' 80']) {
    it(`rejects "${bad}"`, () => {
      expect(tryParsePortRange(bad)).to.equal(undefined)
      expect(() => parsePortRange(bad)).to.throw(AddressError)
    })
  }
  it('reads dash ranges for NAT targets', () => expect(parsePortRange('8080-8090', '-')).to.deep.equal({from: 8080, to: 8090}))
  it('formats and tests ranges', () => {
    expect(formatPortRange({from: 80, to: 80})).to.equal('80')
    expect(formatPortRange({from: 80, to: 90})).to.equal('80:90')
    expect(portInRange(85, {from: 80, to: 90})).to.equal(true)
    expect(portInRange(91, {from: 80, to: 90})).to.equal(false)
  })
})
