"""Load a Descent safetensors download with python/descent_torch.py (load_state_dict strict=True) and
print what /predict would return for the rows given on stdin as JSON: {"job": <GET /v1/jobs/{id}>, "rows": [[...]],
"weightsJson": <GET /v1/jobs/{id}/weights>}; also how far the module loaded from the JSON weights predicts from it.
Used by test/e2e/sequential-torch-load.test.ts."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))
import descent_torch  # noqa: E402

req = json.load(sys.stdin)
module = descent_torch.load(sys.argv[1], req['job'])
names = list(module.state_dict().keys())
out = descent_torch.predict(module, req['rows'])
from_json = descent_torch.predict(descent_torch.load(req['weightsJson'], req['job']), req['rows'])
print(json.dumps({'names': names, 'dtype': str(next(module.parameters()).dtype), 'outputs': out.tolist(),
                  'jsonVsSafetensors': (from_json.double() - out.double()).abs().max().item()}))
