import type { z } from 'zod';
import { databaseSqlState, isUnreachable } from '../../db/errors.js';
export type ErrorCode =
  | 'validation'
  | 'bad_json'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'inactive'
  | 'unavailable'
  | 'internal';

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const statusByCode: Record<ErrorCode, number> = {
  validation: 400,
  bad_json: 400,
  inactive: 400,
  unauthorized: 401,
  forbidden: 403,
  unsupported_media_type: 415,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const invalid = (message: string, errors?: FieldError[]) => new AppError('validation', message, errors);

/** The one wording of a 400 for invalid fields: "Invalid request body: path: message (and N more)". */
export function invalidFields(label: string, errors: FieldError[]): AppError {
  const [first] = errors;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return invalid(`Invalid ${label}: ${first.path ? `${first.path}: ` : ''}${first.message}${more}`, errors);
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: `Unknown field "${key}"` }));
    }
    return [{ path: base, message: issue.message }];
  });
}

export function appErrorFromDatabase(error: unknown): AppError | undefined {
  if (isUnreachable(error)) {
    return new AppError('unavailable', 'The service database is unavailable; try again shortly');
  }
  switch (databaseSqlState(error)) {
    case '23505':
      return new AppError('conflict', 'A record with the same unique value already exists');
    case '23503':
      return new AppError('conflict', 'The record is referenced by or refers to another record');
    case '22P02':
    case '22003':
      return new AppError('validation', 'A value in the request has the wrong format or is out of range');
    case '57014':
      return new AppError('unavailable', 'The database query timed out');
    case '57P03':
    case '53300':
      return new AppError('unavailable', 'The service database is unavailable; try again shortly');
    default:
      return undefined;
  }
}
