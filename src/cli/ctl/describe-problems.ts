import type { FieldProblem } from '../../errors.js';

/** `/limit must be ...; /window must be ...` for one line of output. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field === '' ? 'value' : p.field} ${p.message}`).join('; ');
}
