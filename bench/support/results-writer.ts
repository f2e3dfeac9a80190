import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from './machine-info.js';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const README = join(BENCH_DIR, 'README.md');
const README_START = '<!-- bench:latest-run:start (written by `npm run bench`) -->';
const README_END = '<!-- bench:latest-run:end -->';

export type Cell = string | number | null;

/** One markdown table plus the sentences that explain it. */
export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  readonly notes?: readonly string[];
}

export interface Report {
  /** file stem under bench/results/ */
  readonly name: string;
  readonly title: string;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly tables: readonly Table[];
  /** everything measured, for the JSON file */
  readonly data: unknown;
}

function formatCell(cell: Cell): string {
  if (cell === null) return '–';
  if (typeof cell === 'number') return cell.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return cell.replaceAll('|', '\\|');
}

function renderTable(table: Table): string {
  const lines = [
    `### ${table.title}`,
    '',
    `| ${table.columns.join(' | ')} |`,
    `|${table.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(formatCell).join(' | ')} |`),
  ];
  for (const note of table.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

function renderMachine(machine: MachineInfo, loadAverageAtEnd: number): string {
  return (
    `${machine.date} · ${machine.cpus} × ${machine.cpuModel} · ${machine.os} · ` +
    `${machine.memoryGiB} GiB (${machine.freeMemoryGiB} free) · node ${machine.node} · ` +
    `redis ${machine.redis ?? 'n/a'} · load average (1 min) ${machine.loadAverage1m} at start, ` +
    `${loadAverageAtEnd} at end (above ${machine.cpus}: other work competed for the CPUs)`
  );
}

function renderReport(report: Report, loadAverageAtEnd: number): string {
  return [
    `## ${report.title}`,
    '',
    renderMachine(report.machine, loadAverageAtEnd),
    '',
    `Settings: \`${JSON.stringify(report.settings)}\``,
    '',
    ...report.tables.flatMap((table) => [renderTable(table), '']),
  ].join('\n');
}

/** Writes bench/results/<name>.json and <name>.md; returns the markdown. */
export async function writeReport(report: Report): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const loadAverageAtEnd = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const markdown = renderReport(report, loadAverageAtEnd);
  await writeFile(
    join(RESULTS_DIR, `${report.name}.json`),
    `${JSON.stringify({ ...report, loadAverageAtEnd }, null, 2)}\n`,
  );
  await writeFile(join(RESULTS_DIR, `${report.name}.md`), markdown);
  return markdown;
}

/** Replaces the latest-run section of bench/README.md (between its markers) with `markdown`. */
export async function updateReadme(markdown: string): Promise<void> {
  const text = await readFile(README, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`${README} has no latest-run markers`);
  const section = `${README_START}\n\n${markdown.trim()}\n\n`;
  await writeFile(README, text.slice(0, start) + section + text.slice(end));
}
