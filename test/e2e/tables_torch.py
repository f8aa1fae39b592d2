"""The probabilities of a Descent table model in torch, from the raw records: stdin is JSON
{"job": <GET /v1/jobs/{id}>, "records": [{...}]}, argv[1] the safetensors download. The records go
through python/descent_tables.py (the job's listed statistics), the rows through the module that
python/descent_torch.py loads strict. Prints {"rows", "probabilities", "labels"}.
Used by test/e2e/tables-end-to-end.test.ts."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))
import descent_tables  # noqa: E402
import descent_torch  # noqa: E402

req = json.load(sys.stdin)
pre = req['job']['result']['preprocessing']
rows = descent_tables.apply_preprocessing(pre, req['records'])
module = descent_torch.load(sys.argv[1], req['job'])
probs = descent_torch.predict(module, rows)
print(json.dumps({'rows': rows, 'probabilities': probs.double().tolist(),
                  'labels': descent_tables.labels(pre, probs.argmax(-1).tolist())}))
