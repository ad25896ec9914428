/**
 * A problem with what the caller gave (a file, an option, a model card, a policy): the message names the offending
 * value and is meant to be shown as one line, never as a stack. The `adagen` CLI exits with code 2 on it.
 */
export class InputError extends Error {
  override name = "InputError";
}
