import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
let lastMs = 0;
let seq = 0;

function randomBase36(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[bytes[i] % 36];
  return s;
}

/**
 * A new id `<prefix>_<time><seq><random>`: the first 9 characters are the creation time in
 * base 36 and the next 3 a per-process sequence, so ids sort by creation (the newest-first index
 * relies on it); the random tail makes them unguessable. Never digits only, never a `:`.
 */
export function newId(prefix: 'job' | 'ds' | 'wh'): string {
  const now = Date.now();
  if (now === lastMs) seq++;
  else {
    lastMs = now;
    seq = 0;
  }
  return `${prefix}_${now.toString(36).padStart(9, '0')}${(seq % 46656).toString(36).padStart(3, '0')}${randomBase36(10)}`;
}
