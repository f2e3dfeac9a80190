import { validateClientId } from '../../core/validate.js';
import { ValidationError } from '../../errors.js';
import { describeProblems } from './describe-problems.js';
import { checkStoredLimit, type StoredLimit } from './stored-limit.js';

export interface LimitLine {
  readonly id: string;
  readonly limit: StoredLimit;
}

export interface BadLine {
  /** 1-based */
  readonly line: number;
  readonly problem: string;
}

export interface ParsedLimitLines {
  readonly entries: readonly LimitLine[];
  readonly bad: readonly BadLine[];
}

function isObject(input: unknown): input is Readonly<Record<string, unknown>> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/**
 * Parses a JSON-lines file of limits, `{"id":..,"limit":..,"window":..,"algorithm":..}` per line
 * (algorithm optional), with the service's rules. Blank lines are skipped. Every bad line is
 * reported, with its number: invalid JSON, an invalid id or limit, an unknown key, or an id that
 * an earlier line already set (which one should win would be a guess).
 */
export function parseLimitLines(text: string): ParsedLimitLines {
  const entries: LimitLine[] = [];
  const bad: BadLine[] = [];
  const firstLineOf = new Map<string, number>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const content = (lines[index] ?? '').replace(/\r$/, '');
    if (content.trim() === '') continue;
    let input: unknown;
    try {
      input = JSON.parse(content);
    } catch {
      bad.push({ line, problem: 'not valid JSON' });
      continue;
    }
    if (!isObject(input)) {
      bad.push({ line, problem: 'not a JSON object' });
      continue;
    }
    const { id, ...rest } = input;
    const problems: string[] = [];
    try {
      validateClientId(id, '/id');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      problems.push(describeProblems(err.problems));
    }
    const checked = checkStoredLimit(rest);
    if (!checked.ok) problems.push(describeProblems(checked.problems));
    if (problems.length > 0) {
      bad.push({ line, problem: problems.join('; ') });
      continue;
    }
    const clientId = id as string;
    const earlier = firstLineOf.get(clientId);
    if (earlier !== undefined) {
      bad.push({ line, problem: `id ${JSON.stringify(clientId)} is already set on line ${earlier}` });
      continue;
    }
    firstLineOf.set(clientId, line);
    if (checked.ok) entries.push({ id: clientId, limit: checked.value });
  }
  return { entries, bad };
}
