/**
 * Tokenizer for objective expressions. It accepts only numbers, identifiers, the operators
 * + − × ÷ ^ (ASCII `+ - * / ^`, and `**` as a synonym of `^`), parentheses and commas; every other
 * character (`;`, `=`, `.` after a name, quotes, backticks, brackets, braces, …) is refused with
 * its position, so nothing resembling JavaScript gets past this stage.
 */
import { ExprError } from './errors.js';
import { EXPR_LIMITS } from './limits.js';

export type TokenType = 'num' | 'ident' | 'op' | 'lparen' | 'rparen' | 'comma' | 'end';

export interface Token {
  type: TokenType;
  /** Source text (normalized for operators: `×`→`*`, `÷`→`/`, `−`→`-`, `**`→`^`). */
  text: string;
  /** Numeric value for `num` tokens. */
  value?: number;
  /** 0-based offset in the source. */
  pos: number;
}

const OPS = new Map<string, string>([
  ['+', '+'],
  ['-', '-'],
  ['\u2212', '-'], // − minus sign
  ['*', '*'],
  ['\u00d7', '*'], // ×
  ['\u22c5', '*'], // ⋅
  ['/', '/'],
  ['\u00f7', '/'], // ÷
  ['^', '^'],
]);

const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);

function describe(c: string): string {
  if (c === '`') return 'backtick';
  const code = c.codePointAt(0)!;
  if (code < 32 || code === 127)
    return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return `'${c}'`;
}

/** Split `src` into tokens (ending with an `end` token). Throws {@link ExprError}. */
export function tokenize(src: string, maxLength: number = EXPR_LIMITS.maxLength): Token[] {
  if (typeof src !== 'string') throw new ExprError('expression must be a string', 0);
  if (src.length > maxLength) {
    throw new ExprError(`expression is too long (${src.length} characters, limit ${maxLength})`, maxLength);
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && i + 1 < src.length && isDigit(src[i + 1]!))) {
      while (i < src.length && isDigit(src[i]!)) i++;
      if (src[i] === '.') {
        i++;
        while (i < src.length && isDigit(src[i]!)) i++;
      }
      if (src[i] === 'e' || src[i] === 'E') {
        let j = i + 1;
        if (src[j] === '+' || src[j] === '-') j++;
        if (j < src.length && isDigit(src[j]!)) {
          i = j;
          while (i < src.length && isDigit(src[i]!)) i++;
        } else {
          throw new ExprError('malformed number exponent', i);
        }
      }
      const text = src.slice(start, i);
      const value = Number(text);
      if (!Number.isFinite(value)) throw new ExprError(`number '${text}' is out of range`, start);
      if (i < src.length && (isIdentStart(src[i]!) || src[i] === '.')) {
        throw new ExprError(`unexpected ${describe(src[i]!)} after number`, i);
      }
      tokens.push({ type: 'num', text, value, pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      tokens.push({ type: 'ident', text: src.slice(start, i), pos: start });
      continue;
    }
    if (c === '*' && src[i + 1] === '*') {
      tokens.push({ type: 'op', text: '^', pos: start });
      i += 2;
      continue;
    }
    const op = OPS.get(c);
    if (op !== undefined) {
      tokens.push({ type: 'op', text: op, pos: start });
      i++;
      continue;
    }
    if (c === '(') tokens.push({ type: 'lparen', text: c, pos: start });
    else if (c === ')') tokens.push({ type: 'rparen', text: c, pos: start });
    else if (c === ',') tokens.push({ type: 'comma', text: c, pos: start });
    else if (c === '.') throw new ExprError("property access ('.') is not allowed", start);
    else if (c === '=') throw new ExprError("assignment or comparison ('=') is not allowed", start);
    else if (c === ';') throw new ExprError("statement separator (';') is not allowed", start);
    else throw new ExprError(`unexpected character ${describe(c)}`, start);
    i++;
  }
  tokens.push({ type: 'end', text: '', pos: src.length });
  return tokens;
}
