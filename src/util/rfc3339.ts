/**
 * Strict RFC 3339 times. `new Date()` rolls `2027-02-30` over to March 2 and reads `T24:00:00`
 * as the next midnight; a waiver or an expiry must mean exactly what it says, so every field is
 * range-checked (days per month, leap years) before a Date is built.
 */
const RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2})))?$/

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * An RFC 3339 date-time with an explicit offset, or (when `allowDate`) a full-date meaning
 * midnight UTC. Undefined for anything else, including out-of-range fields.
 */
export function parseRfc3339(s: unknown, opts: {allowDate?: boolean} = {}): Date | undefined {
  if (typeof s !== 'string' || s.length > 64) return undefined
  const m = RE.exec(s)
  if (!m) return undefined
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (m[4] === undefined) {
    if (!opts.allowDate) return undefined
    return new Date(Date.UTC(year, month - 1, day))
  }
  const [h, min, sec] = [Number(m[4]), Number(m[5]), Number(m[6])]
  if (h > 23 || min > 59 || sec > 59) return undefined
  let offsetMin = 0
  if (m[9] !== undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])]
    if (oh > 23 || om > 59) return undefined
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0
  const d = new Date(Date.UTC(year, month - 1, day, h, min, sec, ms) - offsetMin * 60e3)
  return Number.isNaN(d.getTime()) ? undefined : d
}
