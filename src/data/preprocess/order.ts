/** String order as Python's (and so scikit-learn's): by Unicode code point. */

/**
 * Compare by code point, as Python sorts `str`. JavaScript's `<` compares UTF-16 code units,
 * which puts characters above U+FFFF (surrogate pairs, D800–DFFF) before U+E000–U+FFFF; only that
 * case differs.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x <= 0xdfff && y >= 0xe000) return 1;
    if (y >= 0xd800 && y <= 0xdfff && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}
