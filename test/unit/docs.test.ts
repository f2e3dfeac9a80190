import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/core/types.js';
import { ERROR_CODES } from '../../src/errors.js';
import { CONFIG_FILE_VARIABLE, VARIABLE_NAMES } from '../../src/settings.js';

// The README is part of the product: every error code, variable and algorithm the code knows must
// be documented there, in its table row.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const rows = readme.split('\n').filter((line) => line.startsWith('|'));

function rowFor(cell: string): string | undefined {
  return rows.find((row) => row.split('|').some((c) => c.trim() === `\`${cell}\``));
}

describe('README', () => {
  it.each(Object.entries(ERROR_CODES))('documents error code %s with its HTTP status', (code, { status }) => {
    const row = rowFor(code);
    expect(row, `no README table row for error code ${code}`).toBeDefined();
    expect(row).toContain(` ${status} `);
  });

  it.each([...VARIABLE_NAMES, CONFIG_FILE_VARIABLE])('documents the variable %s', (name) => {
    expect(rowFor(name), `no README table row for ${name}`).toBeDefined();
  });

  it.each(ALGORITHMS)('documents the guarantee of %s', (name) => {
    expect(rowFor(name), `no README table row for algorithm ${name}`).toBeDefined();
  });
});
