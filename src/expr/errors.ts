/**
 * The one error an objective expression can raise: where (0-based character offset into the
 * source) and what. The API turns it into a 400 problem naming the position.
 */
export class ExprError extends Error {
  /** 0-based character offset of the offending token in the source (source length at end of input). */
  readonly position: number;
  /** The message without the " at position N" suffix. */
  readonly reason: string;

  constructor(reason: string, position: number) {
    super(`${reason} at position ${position}`);
    this.name = 'ExprError';
    this.position = position;
    this.reason = reason;
  }
}
