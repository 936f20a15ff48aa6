/** Strict RFC 3339: impossible dates and hour 24 are not times. */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseRfc3339} from '../../src/util/rfc3339.js'

test('calendar and clock ranges are checked; offsets apply; plain dates only when allowed', () => {
  for (const bad of [
    '2027-02-30T00:00:00Z',
    '2027-02-29T00:00:00Z',
    '2027-01-01T24:00:00Z',
    '2027-01-01T23:60:00Z',
    '2027-13-01T00:00:00Z',
    '2027-01-01T00:00:00',
    '2027-01-01T00:00:00+24:00',
    'tomorrow',
  ]) {
    assert.equal(parseRfc3339(bad, {allowDate: true}), undefined, bad)
  }
  assert.equal(parseRfc3339('2028-02-29T12:00:00Z')?.toISOString(), '2028-02-29T12:00:00.000Z')
  assert.equal(parseRfc3339('2000-02-29T00:00:00Z')?.toISOString(), '2000-02-29T00:00:00.000Z')
  assert.equal(parseRfc3339('1900-02-29T00:00:00Z'), undefined)
  assert.equal(parseRfc3339('2027-01-01T01:30:00+01:30')?.toISOString(), '2027-01-01T00:00:00.000Z')
  assert.equal(parseRfc3339('2027-01-01T00:00:00.5Z')?.toISOString(), '2027-01-01T00:00:00.500Z')
  assert.equal(parseRfc3339('2027-01-01'), undefined)
  assert.equal(parseRfc3339('2027-01-01', {allowDate: true})?.toISOString(), '2027-01-01T00:00:00.000Z')
})
