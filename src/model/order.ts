// The one string order flotilla sorts by, for output and for identity: UTF-16 code units, as `<`
// compares them. Independent of locale (localeCompare is not), so the same commit renders the same
// bytes on every machine.

/** Negative when `a` sorts before `b`, 0 when they are the same, positive after. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
