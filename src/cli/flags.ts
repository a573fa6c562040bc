/**
 * What every command does with a flag that takes one of a few words, or a network size: the same check and
 * the same message, naming the flag, what it accepts and what was given.
 */

/** A command-line mistake: the command prints it above its usage text and exits 2. */
export class UsageError extends Error {}

/** `value` if it is one of `choices`, else a UsageError that lists them. */
export function oneOf<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T {
  if (value !== undefined && (choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${choices.join(', ')}; got '${value}'`);
}

/** A network size (a width, --units, --stem): a whole number of at least 1, else a UsageError saying `message`. */
export function positiveInt(value: string, message: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(message);
  return n;
}
