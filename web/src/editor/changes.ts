/**
 * What changed between two texts: the range [from, to) of `after` that differs from
 * `before` (from === to: something was deleted at `from`), or null when they are equal.
 * Linear in the texts' length; a common prefix and suffix bound the change.
 */
export function changedRange(before: string, after: string): { from: number; to: number } | null {
  if (before === after) return null;
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < limit - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  )
    suffix++;
  return { from: prefix, to: after.length - suffix };
}
