/**
 * docs/security.md opens with the OWASP API Security Top 10 (2023) walk: one table row per risk,
 * API1 … API10 in order under their official names, each saying how Descent answers it and naming
 * the tests that show it. This checks the table against the repository: every file a row names
 * exists, and every title quoted after a file (a test's or a describe block's, or a literal part of
 * one) occurs in that file — so a renamed or deleted test breaks the doc's claim here, not silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const DOC = 'docs/security.md';

/** The ten risks of the 2023 edition, as OWASP names them. */
const RISKS = [
  'Broken Object Level Authorization',
  'Broken Authentication',
  'Broken Object Property Level Authorization',
  'Unrestricted Resource Consumption',
  'Broken Function Level Authorization',
  'Unrestricted Access to Sensitive Business Flows',
  'Server Side Request Forgery',
  'Security Misconfiguration',
  'Improper Inventory Management',
  'Unsafe Consumption of APIs',
];

interface Row {
  id: number;
  risk: string;
  answer: string;
  /** Each test file the row names, with the titles quoted after it. */
  tests: Array<{ file: string; titles: string[] }>;
}

/** The rows of the table under the OWASP heading: `| **APIn:2023** name | answer | tests |`. */
function owaspRows(markdown: string): Row[] {
  const rows: Row[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*\*\*API(\d+):2023\*\*\s*(.*)$/.exec(line);
    if (!m) continue;
    const cells = m[2]!.split(/(?<!\\)\|/).map((c) => c.trim());
    const [risk = '', answer = '', tests = ''] = cells;
    // A file in backticks, then everything up to the next file: the quoted titles in it are its tests.
    const parts = tests.split(/`(test\/[\w./-]+\.test\.ts)`/);
    const named: Row['tests'] = [];
    for (let i = 1; i < parts.length; i += 2)
      named.push({ file: parts[i]!, titles: [...parts[i + 1]!.matchAll(/"([^"]+)"/g)].map((t) => t[1]!) });
    rows.push({ id: Number(m[1]), risk, answer, tests: named });
  }
  return rows;
}

const doc = readFileSync(join(repo, DOC), 'utf8');
const rows = owaspRows(doc);

describe('the OWASP API Top 10 table in docs/security.md', () => {
  it('is the first section of the document', () => {
    const firstSection = /^## (.*)$/m.exec(doc)?.[1];
    expect(firstSection).toMatch(/^OWASP API Security Top 10 \(2023\)/);
  });

  it('has one row for each risk, API1 to API10 in order, under its OWASP name', () => {
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    rows.forEach((r, i) => expect(r.risk, `API${r.id}`).toBe(RISKS[i]));
  });

  it('every row says how Descent answers the risk and names at least one test', () => {
    for (const r of rows) {
      expect(r.answer.length, `API${r.id}: the answer`).toBeGreaterThan(200);
      expect(r.tests.length, `API${r.id}: tests named`).toBeGreaterThan(0);
    }
  });

  it('every test file a row names exists, and every title quoted after it is in that file', () => {
    const problems: string[] = [];
    for (const r of rows)
      for (const { file, titles } of r.tests) {
        const path = join(repo, file);
        if (!existsSync(path)) {
          problems.push(`API${r.id}: ${file} does not exist`);
          continue;
        }
        const text = readFileSync(path, 'utf8');
        for (const title of titles)
          if (!text.includes(title)) problems.push(`API${r.id}: ${file} has no test titled "${title}"`);
      }
    expect(problems).toEqual([]);
  });
});

describe('the table reader', () => {
  it('reads the files of a row and the titles quoted after each', () => {
    const md = [
      '| risk | answer | tests |',
      '| --- | --- | --- |',
      '| **API7:2023** Server Side Request Forgery | refused | `test/a.test.ts` ("one (with parens)"; "two"), `test/b/c.test.ts` |',
    ].join('\n');
    expect(owaspRows(md)).toEqual([
      {
        id: 7,
        risk: 'Server Side Request Forgery',
        answer: 'refused',
        tests: [
          { file: 'test/a.test.ts', titles: ['one (with parens)', 'two'] },
          { file: 'test/b/c.test.ts', titles: [] },
        ],
      },
    ]);
  });
});
