/** Collects unsafe entries (bounded list, full count) and refuses them all at once at the end. */
import {InputError} from '../errors.js'
import {escapeName} from '../util/escape.js'
import {MAX_LISTED_PROBLEMS} from './limits.js'

export interface Problem {
  path: string
  reason: string
}

export class ProblemList {
  readonly items: Problem[] = []
  count = 0

  add(path: string, reason: string): void {
    this.count++
    if (this.items.length < MAX_LISTED_PROBLEMS) this.items.push({path, reason})
  }

  /** Throws E_DATASET_UNSAFE_ENTRY (exit 3) listing the problems, if there are any. */
  throwIfAny(what: string): void {
    if (this.count === 0) return
    const first = this.items
      .slice(0, 3)
      .map((p) => `"${escapeName(p.path)}": ${p.reason}`)
      .join('; ')
    throw new InputError(
      'E_DATASET_UNSAFE_ENTRY',
      `${what}: ${this.count} unsafe or unsupported entr${this.count === 1 ? 'y' : 'ies'} refused (${first}${this.count > 3 ? '; ...' : ''})`,
      {problems: this.items, count: this.count},
    )
  }
}
