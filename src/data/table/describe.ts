/** Per-column summaries of a table, for the dataset description (`columns` of `GET /v1/datasets/{id}`). */
import type { Column, ColumnType } from './types.js';

/** How many categories a summary lists (the most frequent). */
export const TOP_CATEGORIES = 50;

/**
 * One column's summary. Numeric and boolean columns: `mean`, `std`, `min`, `max` over the present
 * values (a boolean's mean is the share of true). `std` is the population standard deviation
 * (divide by n, ddof = 0), the one scikit-learn's StandardScaler uses, so a standardized column is
 * (x − mean) / std with these very numbers. Categorical: `categories`, the 50 most frequent with
 * their counts (ties in order of first appearance), and `distinct`, how many there are in all.
 */
export interface ColumnSummary {
  name: string;
  type: ColumnType;
  missing: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  distinct?: number;
  categories?: { value: string; count: number }[];
}

/** Summarize one column (two passes over the values for an accurate std). */
export function summarizeColumn(c: Column): ColumnSummary {
  if (c.type === 'categorical') {
    const counts = new Float64Array(c.categories.length);
    for (let i = 0; i < c.codes.length; i++) if (c.codes[i] >= 0) counts[c.codes[i]]++;
    const order = Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a] || a - b);
    return {
      name: c.name,
      type: c.type,
      missing: c.missing,
      distinct: c.categories.length,
      categories: order.slice(0, TOP_CATEGORIES).map((k) => ({ value: c.categories[k], count: counts[k] })),
    };
  }
  const v = c.values;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isNaN(x)) continue;
    n++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = n ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isNaN(x)) ss += (x - mean) * (x - mean);
  }
  return { name: c.name, type: c.type, missing: c.missing, mean, std: n ? Math.sqrt(ss / n) : 0, min, max };
}
