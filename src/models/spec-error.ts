/** A spec problem only visible once the data shape is known: a 400 naming the path. */
export class SpecError extends Error {
  constructor(
    message: string,
    /** JSON pointer into the spec (`/model/layers/4`, `/init/weights/0.weight`). */
    readonly path: string,
  ) {
    super(message);
    this.name = 'SpecError';
  }
}
