import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type ValueError, type ValueErrorIterator } from '@sinclair/typebox/compiler';
import type { FastifySchemaCompiler } from 'fastify';
import { ValidationError, type FieldProblem } from '../errors.js';

/** Where a problem sits, as reported in `errors[].field`: body "/cost", "query/cost", "path/id". */
const FIELD_PREFIX: Readonly<Record<string, string>> = {
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** The values a union of string literals allows (an enumeration such as the algorithms), if it is one. */
function literalChoices(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: unknown }).anyOf;
  if (!Array.isArray(anyOf)) return undefined;
  const values = anyOf.map((option) => (option as { const?: unknown }).const);
  return values.every((v): v is string => typeof v === 'string') ? values : undefined;
}

/** TypeBox's message, except that a wrong enumeration value names the values allowed. */
function messageOf(error: ValueError): string {
  const choices = literalChoices(error.schema);
  return choices === undefined ? error.message : `must be one of ${choices.join(', ')}`;
}

/** TypeBox errors as field problems, the first message per field, paths under `prefix`. */
export function problemsOf(errors: ValueErrorIterator, prefix = ''): FieldProblem[] {
  const byField = new Map<string, string>();
  for (const error of errors) {
    const field = `${prefix}${error.path === '' ? (prefix === '' ? '/' : '') : error.path}`;
    if (!byField.has(field)) byField.set(field, messageOf(error));
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function isNumericSchema(schema: TSchema | undefined): boolean {
  const type = (schema as { type?: unknown } | undefined)?.type;
  return type === 'integer' || type === 'number';
}

/**
 * Path and query values are strings: a property whose schema is a number or integer gets the
 * number a strict JSON-number string spells ("1.5" stays 1.5 and fails an integer schema; TypeBox's
 * own Convert would truncate it). Anything else is left for the checker to reject.
 */
function convertStrings(schema: TSchema, data: unknown): unknown {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (properties === undefined || typeof data !== 'object' || data === null) return data;
  const converted: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [key, value] of Object.entries(converted)) {
    if (typeof value === 'string' && isNumericSchema(properties[key]) && JSON_NUMBER.test(value)) {
      converted[key] = Number(value);
    }
  }
  return converted;
}

/**
 * Validates with TypeBox's compiled checker. Bodies are never coerced (a JSON "7" is not a cost)
 * and never stripped (an unknown property is an error); path and query strings are converted to
 * the schema's types first, since they can only be strings. Every problem is reported at once as
 * our ValidationError, which the error handler turns into a VALIDATION_FAILED problem.
 */
export const typeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = TypeCompiler.Compile(schema);
  const convert = httpPart !== 'body';
  const prefix = FIELD_PREFIX[httpPart ?? 'body'] ?? '';
  return (data: unknown) => {
    const value = convert ? convertStrings(schema, data) : data;
    if (checker.Check(value)) return { value };
    return { error: new ValidationError(problemsOf(checker.Errors(value), prefix)) };
  };
};
