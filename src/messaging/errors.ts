import type { z } from 'zod';

export interface FieldError {
  /** Path from the operation's arguments, e.g. ["input", "destinations", "3", "to", "phoneNumber"]. */
  path: string[];
  message: string;
}

/** Input that breaks a rule. Nothing was written; the whole request is refused. */
export class ValidationError extends Error {
  constructor(readonly fieldErrors: FieldError[]) {
    super(
      fieldErrors.length === 1
        ? `${fieldErrors[0]!.path.join('.')} ${fieldErrors[0]!.message}`
        : `${fieldErrors.length} fields are invalid: ${fieldErrors.map((f) => f.path.join('.')).join(', ')}`,
    );
    this.name = 'ValidationError';
  }

  static single(path: string[], message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }

  static fromZod(error: z.ZodError, prefix: string[]): ValidationError {
    return new ValidationError(
      error.issues.map((issue) => ({ path: [...prefix, ...issue.path.map(String)], message: issue.message })),
    );
  }
}

export class NotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly key: string,
  ) {
    super(`${resource} ${key} was not found`);
    this.name = 'NotFoundError';
  }
}

/** Parses with zod, turning its issues into a ValidationError rooted at `prefix`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix: string[]): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}
