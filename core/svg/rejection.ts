/**
 * Thrown inside the sanitiser when a file must be rejected; `sanitizeSvg` turns it into
 * `{ ok: false, reason }`. The reason completes the sentence "<file name> …".
 */
export class SvgRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SvgRejection';
  }
}
