"""Write test/fixtures/tables/wine.csv and breast_cancer.csv from scikit-learn's copies of the UCI
files, as CSVs with a header and a string target, for the end-to-end test of typed uploads.

Run with Debian's python3 (python3-sklearn 1.2.1 ships sklearn/datasets/data/wine_data.csv and
breast_cancer.csv):

    /usr/bin/python3 scripts/datasets/sklearn_tables.py

Header: scikit-learn's feature names with spaces and slashes as underscores (`mean_radius`,
`od280_od315_of_diluted_wines`), so every name is a plain record key; then `class`, the target
names scikit-learn gives (wine: class_0 / class_1 / class_2; breast cancer: malignant / benign).
Values are written with repr(), which round-trips every float64 exactly. Licence: CC BY 4.0 (UCI),
see test/fixtures/tables/NOTICE.md.
"""
import pathlib
import re

from sklearn.datasets import load_breast_cancer, load_wine

OUT = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'tables'


def write(name, bunch) -> None:
    header = [re.sub(r'[ /]+', '_', f) for f in bunch.feature_names] + ['class']
    assert len(set(header)) == len(header)
    lines = [','.join(header)]
    for row, y in zip(bunch.data, bunch.target):
        lines.append(','.join(repr(float(v)) for v in row) + ',' + bunch.target_names[y])
    (OUT / name).write_text('\n'.join(lines) + '\n')
    print(f'wrote {OUT / name}: {len(bunch.data)} rows, {len(header) - 1} features')


def main() -> None:
    write('wine.csv', load_wine())
    write('breast_cancer.csv', load_breast_cancer())


if __name__ == '__main__':
    main()
