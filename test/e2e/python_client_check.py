"""Driven by test/e2e/python-client.test.ts: the Python client against a real service.

Trains the iris MLP, follows its events (once directly, once through a proxy that drops the
connection mid-stream), downloads the safetensors weights, loads them into an nn.Sequential and
compares its probabilities with /predict. Prints one JSON object with what it measured.
"""
import json
import socket
import sys
import threading

import torch

from descent_client import Client, DescentError, parse_safetensors

url, spec_path = sys.argv[1], sys.argv[2]
spec = json.load(open(spec_path))
c = Client(url)
out = {}


class DropProxy:
    """A TCP proxy to the API whose cut() closes every open connection."""

    def __init__(self, target):
        host, port = target.split("//")[1].split(":")
        self.target = (host, int(port))
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.url = f"http://127.0.0.1:{self.srv.getsockname()[1]}"
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                a, _ = self.srv.accept()
            except OSError:
                return
            b = socket.create_connection(self.target)
            self.socks += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(x, y), daemon=True).start()

    @staticmethod
    def _pump(x, y):
        try:
            while True:
                d = x.recv(65536)
                if not d:
                    break
                y.sendall(d)
        except OSError:
            pass
        for s in (x, y):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.socks = []


# A refused spec is a DescentError with the problem+json.
try:
    c.create_job({**spec, "optimiser": {"type": "adam"}})
    out["refused"] = None
except DescentError as err:
    out["refused"] = {"status": err.status, "code": err.code, "errors": err.errors}

# Train and follow.
job = c.create_job(spec)
out["job"] = job["id"]
events = list(c.events(job["id"]))
out["event_ids"] = [e["id"] for e in events]
out["epochs"] = sum(1 for e in events if e["type"] == "epoch")
out["last"] = events[-1]["type"], events[-1]["status"]
done = c.wait(job["id"])
out["status"] = done["status"]

# Resume: after a given id, then across dropped connections.
out["resumed"] = [e["id"] for e in c.events(job["id"], after=events[9]["id"])]
long_spec = {**spec, "training": {**spec["training"], "epochs": 3000}}
proxy = DropProxy(url)
via = Client(proxy.url)
long_job = via.create_job(long_spec)
got, reconnects = [], []
for e in via.events(long_job["id"], on_reconnect=lambda n, last, err: reconnects.append(last)):
    got.append(e["id"])
    if len(reconnects) < 3 and len(got) % 25 == 0:
        proxy.cut()
out["long"] = {"job": long_job["id"], "ids": got, "reconnects": len(reconnects)}

# Download, load into torch, predict both ways.
w = c.weights(job["id"])
out["names"] = w.names()
out["no_safetensors_pkg"] = True
try:
    import safetensors  # noqa: F401

    out["no_safetensors_pkg"] = False
except ImportError:
    pass
model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
w.load_into(model)
rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
with torch.no_grad():
    mine = torch.softmax(model(torch.tensor(rows)), dim=-1).tolist()
served = c.predict(job["id"], inputs=rows)
out["max_diff"] = max(abs(a - b) for r1, r2 in zip(mine, served["outputs"]) for a, b in zip(r1, r2))
out["classes_equal"] = [max(range(3), key=lambda k: r[k]) for r in mine] == served["classes"]
tensors, meta = parse_safetensors(w.data)
out["shapes"] = {k: v[1] for k, v in tensors.items()}
out["json_weights_keys"] = sorted(c.weights(job["id"], format="json").keys())
out["listed"] = job["id"] in [j["id"] for j in c.list_jobs(status="succeeded", limit=100)["data"]]
print(json.dumps(out))
