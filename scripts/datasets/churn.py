"""Write test/fixtures/tables/churn.csv: a seeded synthetic "customer churn" table (600 rows).

Run with Debian's python3 (numpy only):

    /usr/bin/python3 scripts/datasets/churn.py

It has every kind of column a typed upload takes, so the end-to-end test
(test/e2e/tables-end-to-end.test.ts) exercises them all: numeric (`tenure_months`, `monthly_charge`
with 18 empty cells, `support_calls` integers), categorical (`contract`, `region`), boolean
(`paperless` yes/no) and a string target `churn` ("yes"/"no", declared categorical at upload since
yes/no alone would be read as boolean). The target is drawn from a logistic model of the features,
so it is learnable but not separable: the script prints the accuracy of the true model, the ceiling
a trained model approaches. Synthetic, so MIT like the rest of the repository.
"""
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'tables' / 'churn.csv'
ROWS = 600
MISSING = 18


def main() -> None:
    rng = np.random.default_rng(20261203)
    tenure = rng.integers(1, 73, ROWS)
    charge = np.round(rng.uniform(20, 120, ROWS), 2)
    contract = rng.choice(['month', 'one_year', 'two_year'], ROWS, p=[0.5, 0.3, 0.2])
    paperless = rng.choice(['yes', 'no'], ROWS, p=[0.6, 0.4])
    calls = rng.poisson(2.0, ROWS)
    region = rng.choice(['north', 'south', 'east', 'west'], ROWS)
    effect = {'month': 1.3, 'one_year': -0.4, 'two_year': -1.8}
    logit = (-0.3 - 0.06 * (tenure - 36) + 0.03 * (charge - 70) + np.vectorize(effect.get)(contract)
             + 0.6 * (paperless == 'yes') + 0.7 * (calls - 2) + 0.3 * (region == 'south'))
    p = 1 / (1 + np.exp(-logit))
    churn = np.where(rng.uniform(size=ROWS) < p, 'yes', 'no')
    missing = set(rng.choice(ROWS, MISSING, replace=False).tolist())
    lines = ['tenure_months,monthly_charge,contract,paperless,support_calls,region,churn']
    for i in range(ROWS):
        c = '' if i in missing else f'{charge[i]:.2f}'
        lines.append(f'{tenure[i]},{c},{contract[i]},{paperless[i]},{calls[i]},{region[i]},{churn[i]}')
    OUT.write_text('\n'.join(lines) + '\n')
    bayes = np.mean((p > 0.5) == (churn == 'yes'))
    print(f'wrote {OUT}: {ROWS} rows, churn rate {np.mean(churn == "yes"):.3f}, '
          f'accuracy of the true model {bayes:.3f}')


if __name__ == '__main__':
    main()
