/**
 * The one error type this package throws for bad input: a wrong shape or dtype, a non-finite value, too few
 * samples, a corrupt file. `source` names the file or argument at fault, so a caller (the bench CLI) can print
 * one line `source: message` and exit with code 2.
 */
export class MetricsInputError extends Error {
  override readonly name = "MetricsInputError";
  constructor(
    message: string,
    /** The file path or argument name the problem is in, when known. */
    readonly source?: string,
  ) {
    super(source === undefined ? message : `${source}: ${message}`);
  }
}

/** Re-throw `err` naming `source`, unless it already names one. */
export function withSource(err: unknown, source: string): never {
  if (err instanceof MetricsInputError && err.source === undefined) {
    throw new MetricsInputError(err.message, source);
  }
  throw err;
}
