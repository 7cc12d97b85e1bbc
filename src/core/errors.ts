/** Errors that carry an HTTP status and, where known, the offending field. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, field?: string, details?: unknown) =>
  new AppError(400, 'bad_request', message, field, details);
export const unauthorized = (message = 'Sign in first.') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'You do not have permission to do this.') => new AppError(403, 'forbidden', message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found.`);
export const conflict = (message: string, field?: string) => new AppError(409, 'conflict', message, field);
export const tooMany = (message: string) => new AppError(429, 'too_many_requests', message);

/** Turns a zod issue list into one message that names each offending field. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }>): {
  message: string;
  field?: string;
  issues: { field: string; message: string }[];
} {
  const list = issues.map((i) => {
    let field = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys' && i.keys?.length) field = [field, i.keys.join(',')].filter(Boolean).join('.');
    return { field: field || '(body)', message: i.message };
  });
  const message = list.map((i) => `${i.field}: ${i.message}`).join('; ');
  return { message, field: list[0]?.field, issues: list };
}
