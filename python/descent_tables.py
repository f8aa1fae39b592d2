"""Apply a Descent job's fitted table preprocessing to raw records, outside Descent.

A job trained on an uploaded table lists what it fitted on its training rows in
``result.preprocessing`` (docs/tables.md): per input column, in feature order, its type, the
missing-value strategy and ``fill``, the scaling with ``mean``/``std`` or ``min``/``max``, or the
encoding with ``categories``. ``apply_preprocessing`` turns records (``{"column": raw value}``, as
``POST /v1/jobs/{id}/predict`` takes them) into the float64 rows the model was trained on, by the
same arithmetic as Descent's src/data/preprocess/apply.ts, so that with python/descent_torch.py a
downloaded model predicts what /predict returns::

    import descent_tables, descent_torch

    job = ...                                             # GET /v1/jobs/{id}
    rows = descent_tables.apply_preprocessing(job["result"]["preprocessing"], records)
    module = descent_torch.load("w.safetensors", job)
    probs = descent_torch.predict(module, rows)
    labels = descent_tables.labels(job["result"]["preprocessing"], probs.argmax(-1).tolist())

Pure Python (no numpy, no torch).
"""
import math

__all__ = ['apply_preprocessing', 'labels', 'PreprocessError']

_EPS = 2.0 ** -52
_TRUE = {'true', 'yes', '1'}
_FALSE = {'false', 'no', '0'}


class PreprocessError(ValueError):
    """A record Descent's /predict would refuse with a 400 (the message names record and column)."""


def _missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def _number(c, i, v):
    """A numeric or boolean cell as a float (NaN when missing), as Descent reads a record."""
    if _missing(v):
        return math.nan
    if c['type'] == 'numeric':
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise PreprocessError(f'records[{i}].{c["name"]} must be a finite number or null; got {v!r}')
        return float(v)
    # boolean: true/false, 0/1, or the strings true/false/yes/no/1/0 in any case
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)) and v in (0, 1):
        return float(v)
    if isinstance(v, str) and v.lower() in _TRUE:
        return 1.0
    if isinstance(v, str) and v.lower() in _FALSE:
        return 0.0
    raise PreprocessError(f'records[{i}].{c["name"]} must be true, false, 0, 1, "yes", "no" or null; got {v!r}')


def _category(c, i, v):
    """A categorical cell as a string (None when missing); a number as JavaScript's String(v) spells
    it: integers without ".0" (integer categories), others by repr (the two differ only in exponent
    forms such as 1e-07)."""
    if _missing(v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e21 else repr(float(v))
    raise PreprocessError(f'records[{i}].{c["name"]} must be a string or null; got {v!r}')


def _fill(c, i, v):
    if v is not None and not (isinstance(v, float) and math.isnan(v)):
        return v
    if c['missing'] in ('mean', 'median', 'most_frequent'):
        return c['fill']
    # "error" refuses a missing value; "drop" dropped such training rows, so /predict refuses it too
    raise PreprocessError(f'records[{i}].{c["name"]} is missing and the job fills no value '
                          f'(missing "{c["missing"]}")')


def _minmax(lo, hi):
    """MinMaxScaler's scale_ and min_ for [0, 1]: a range under 10 eps counts as 1."""
    rng = hi - lo
    scale = 1.0 / (1.0 if rng < 10 * _EPS else rng)
    return scale, 0.0 - lo * scale


def apply_preprocessing(preprocessing, records):
    """The model input rows (lists of float) of `records` under a job's ``result.preprocessing``.

    Columns are taken in ``preprocessing["columns"]`` order, so each row lines up with
    ``featureNames``: a numeric or boolean column gives one value (missing -> ``fill``, then
    ``(x - mean) / std`` for standardize or ``x * scale + min_`` for minmax with scale =
    1/(max - min)); a one-hot column gives one 0/1 per entry of ``categories`` (an unknown category:
    an error, or all zeros with ``unknownCategory: "ignore"``); an ordinal column its index (-1 unknown).
    Every record needs every input column (None for a missing value); other keys are ignored.
    """
    cols = preprocessing['columns']
    ignore = preprocessing.get('unknownCategory') == 'ignore'
    out = []
    for i, rec in enumerate(records):
        row = []
        for c in cols:
            name = c['name']
            if name not in rec:
                raise PreprocessError(f'records[{i}] has no {name!r} (None for a missing value)')
            if c['type'] == 'categorical':
                v = _fill(c, i, _category(c, i, rec[name]))
                cats = c['categories']
                k = cats.index(v) if v in cats else None
                if k is None and not ignore:
                    raise PreprocessError(f'records[{i}].{name}: {v!r} is not one of the categories {cats}')
                if c['encoding'] == 'ordinal':
                    row.append(float(-1 if k is None else k))
                else:
                    row.extend(1.0 if j == k else 0.0 for j in range(len(cats)))
                continue
            x = _number(c, i, rec[name])
            if math.isnan(x):
                x = _fill(c, i, None)
            if c['scaling'] == 'standardize':
                x = (x - c['mean']) / c['std']
            elif c['scaling'] == 'minmax':
                scale, offset = _minmax(c['min'], c['max'])
                x = x * scale + offset
            row.append(float(x))
        if len(row) != len(preprocessing['featureNames']):
            raise PreprocessError(f'records[{i}] gave {len(row)} features, the job lists '
                                  f'{len(preprocessing["featureNames"])}')
        out.append(row)
    return out


def labels(preprocessing, classes):
    """Class names of class indices, as /predict's ``labels`` (None when the target has no names)."""
    names = preprocessing.get('classes')
    return [names[k] for k in classes] if names else None
