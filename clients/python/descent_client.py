"""A Python client for a Descent training service.

One module, one dependency (``requests``)::

    from descent_client import Client

    c = Client("http://127.0.0.1:8080")          # or DESCENT_URL / DESCENT_API_KEY
    job = c.create_job(spec)                     # an Idempotency-Key is sent by default
    for event in c.events(job["id"]):            # resumes with Last-Event-ID after a drop
        print(event["type"], event.get("loss"))
    job = c.wait(job["id"])
    c.weights(job["id"]).load_into(model)        # safetensors parsed here: no safetensors package
    c.predict(job["id"], inputs=[[5.1, 3.5, 1.4, 0.2]])

Errors are :class:`DescentError` carrying the service's problem+json (``code``, ``errors``).
"""

from __future__ import annotations

import json
import os
import random
import struct
import time
import uuid
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import requests

__all__ = ["Client", "DescentError", "SafetensorsWeights", "parse_safetensors", "load_into"]
__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8080"
TERMINAL = {"succeeded", "failed", "cancelled"}


class DescentError(Exception):
    """A refused request (the problem+json of the answer), or a service that did not answer (status 0)."""

    def __init__(self, status: int, problem: Dict[str, Any]):
        self.status = status
        self.problem = problem
        self.code = problem.get("code", "UNKNOWN")
        self.errors = problem.get("errors") or []
        lines = [f"{self.code} ({status}): {problem.get('detail') or problem.get('title')}"]
        lines += [f"  {e.get('path') or '/'}: {e.get('message')}" for e in self.errors]
        super().__init__("\n".join(lines))


def _error_from(res: requests.Response) -> DescentError:
    try:
        body = res.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return DescentError(res.status_code, body)
    return DescentError(
        res.status_code,
        {"code": "UNAVAILABLE" if res.status_code >= 500 else "ERROR", "title": res.reason, "detail": res.text[:500]},
    )


def _transient(err: Exception) -> bool:
    if isinstance(err, DescentError):
        return err.status in (0, 429, 502, 503, 504)
    return isinstance(err, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError))


def _backoff(attempt: int, base: float = 0.25, cap: float = 5.0) -> float:
    ceiling = min(cap, base * 2**attempt)
    return ceiling / 2 + random.random() * ceiling / 2


# --- safetensors, parsed by hand: an 8-byte little-endian header length, a JSON header, the raw tensors.

_DTYPES = {"F64": ("d", 8), "F32": ("f", 4), "F16": ("e", 2), "I64": ("q", 8), "I32": ("i", 4), "U8": ("B", 1)}


def parse_safetensors(data: bytes) -> Tuple[Dict[str, Tuple[str, List[int], memoryview]], Dict[str, str]]:
    """Split a safetensors file into ``{name: (dtype, shape, raw bytes)}`` and its ``__metadata__``."""
    if len(data) < 8:
        raise ValueError("not a safetensors file: shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"not a safetensors file: header length {n} exceeds the file ({len(data)} bytes)")
    header = json.loads(bytes(data[8 : 8 + n]).decode("utf-8"))
    body = memoryview(data)[8 + n :]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        dtype, shape = t["dtype"], list(t["shape"])
        if dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {dtype} is not supported")
        count = 1
        for d in shape:
            count *= d
        if end - start != count * _DTYPES[dtype][1]:
            raise ValueError(f"{name}: {end - start} bytes for shape {shape} of {dtype}")
        tensors[name] = (dtype, shape, body[start:end])
    return tensors, meta


def _to_torch(dtype: str, shape: List[int], raw: memoryview):
    import torch  # only when loading into torch

    torch_dtype = {
        "F64": torch.float64,
        "F32": torch.float32,
        "F16": torch.float16,
        "I64": torch.int64,
        "I32": torch.int32,
        "U8": torch.uint8,
    }[dtype]
    if len(raw) == 0:
        return torch.zeros(shape, dtype=torch_dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch_dtype).reshape(shape)


def load_into(module, data: bytes, strict: bool = True):
    """Load safetensors bytes into a ``torch.nn.Module`` with ``load_state_dict`` (names are torch's)."""
    tensors, _ = parse_safetensors(data)
    state = {name: _to_torch(*t) for name, t in tensors.items()}
    return module.load_state_dict(state, strict=strict)


class SafetensorsWeights:
    """A downloaded safetensors file: ``.data`` (bytes), ``.tensors`` (parsed), ``load_into(module)``, ``save(path)``."""

    def __init__(self, data: bytes):
        self.data = data
        self.tensors, self.metadata = parse_safetensors(data)

    def names(self) -> List[str]:
        return list(self.tensors)

    def to_lists(self) -> Dict[str, Any]:
        """Each tensor as a flat Python list (no torch, no numpy)."""
        out = {}
        for name, (dtype, _shape, raw) in self.tensors.items():
            code, _size = _DTYPES[dtype]
            out[name] = list(struct.unpack(f"<{len(raw) // _DTYPES[dtype][1]}{code}", raw))
        return out

    def state_dict(self):
        """``{name: torch.Tensor}``, what ``load_state_dict`` takes."""
        return {name: _to_torch(*t) for name, t in self.tensors.items()}

    def load_into(self, module, strict: bool = True):
        """``module.load_state_dict(...)`` with these weights; strict by default (torch's names and shapes)."""
        return module.load_state_dict(self.state_dict(), strict=strict)

    def save(self, path: str) -> None:
        with open(path, "wb") as f:
            f.write(self.data)


class Client:
    """The service at ``url`` (default ``$DESCENT_URL``, else http://127.0.0.1:8080)."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, timeout: float = 30.0):
        self.url = (url or os.environ.get("DESCENT_URL") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("DESCENT_API_KEY")
        self.timeout = timeout
        self.session = requests.Session()
        if self.api_key:
            self.session.headers["authorization"] = f"Bearer {self.api_key}"

    # --- transport

    def _request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", self.timeout)
        try:
            res = self.session.request(method, self.url + path, **kw)
        except requests.RequestException as err:
            raise DescentError(0, {"code": "NETWORK", "title": "No answer", "detail": f"could not reach {self.url}{path}: {err}"}) from err
        if res.status_code >= 400:
            raise _error_from(res)
        return res

    def _json(self, method: str, path: str, **kw) -> Any:
        res = self._request(method, path, **kw)
        return None if res.status_code == 204 else res.json()

    # --- jobs

    def create_job(self, spec: Dict[str, Any], idempotency_key: Optional[str] = None, retries: int = 2) -> Dict[str, Any]:
        """``POST /v1/jobs``. An Idempotency-Key (random unless given) makes the retries of a lost answer safe."""
        key = idempotency_key or str(uuid.uuid4())
        for attempt in range(retries + 1):
            try:
                return self._json("POST", "/v1/jobs", json=spec, headers={"idempotency-key": key})
            except DescentError as err:
                if attempt == retries or not _transient(err):
                    raise
                time.sleep(_backoff(attempt))
        raise AssertionError("unreachable")

    def validate(self, spec: Dict[str, Any]) -> Dict[str, Any]:
        return self._json("POST", "/v1/jobs/validate", json=spec)

    def get_job(self, job_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/v1/jobs/{job_id}")

    def list_jobs(self, status: Optional[str] = None, limit: Optional[int] = None, after: Optional[str] = None) -> Dict[str, Any]:
        params = {k: v for k, v in {"status": status, "limit": limit, "after": after}.items() if v is not None}
        return self._json("GET", "/v1/jobs", params=params)

    def cancel(self, job_id: str) -> Dict[str, Any]:
        return self._json("POST", f"/v1/jobs/{job_id}/cancel")

    def events(
        self,
        job_id: str,
        after: Optional[str] = None,
        max_retries: int = 30,
        on_reconnect: Optional[Callable[[int, Optional[str], Exception], None]] = None,
    ) -> Iterator[Dict[str, Any]]:
        """A job's events (history, then live) until ``end``; each dict has its ``id``.

        A dropped connection is reconnected with ``Last-Event-ID`` and exponential backoff, so every
        event is yielded once, in order. ``after`` starts after that event id.
        """
        last = after
        failures = 0
        while True:
            headers = {"accept": "text/event-stream"}
            if last:
                headers["last-event-id"] = last
            try:
                res = self._request("GET", f"/v1/jobs/{job_id}/events", headers=headers, stream=True, timeout=(self.timeout, 60))
                if res.status_code == 204:
                    return
                with res:
                    for ev_id, data in _sse(res):
                        event = json.loads(data)
                        event["id"] = ev_id
                        last = ev_id
                        failures = 0
                        yield event
                        if event.get("type") == "end":
                            return
                raise requests.exceptions.ChunkedEncodingError("the stream closed before the end event")
            except (DescentError, requests.RequestException) as err:
                if not _transient(err) or failures >= max_retries:
                    raise
                if on_reconnect:
                    on_reconnect(failures + 1, last, err)
                time.sleep(_backoff(failures))
                failures += 1

    def wait(self, job_id: str, on_event: Optional[Callable[[Dict[str, Any]], None]] = None) -> Dict[str, Any]:
        """Follow the job's events to its end; the finished job."""
        for event in self.events(job_id):
            if on_event:
                on_event(event)
        for _ in range(20):
            job = self.get_job(job_id)
            if job["status"] in TERMINAL:
                return job
            time.sleep(0.1)
        return job

    def weights(self, job_id: str, format: str = "safetensors"):
        """``format="safetensors"``: a :class:`SafetensorsWeights`; ``"json"``: the JSON answer (a dict)."""
        if format == "json":
            return self._json("GET", f"/v1/jobs/{job_id}/weights")
        if format != "safetensors":
            raise ValueError(f'format is "safetensors" or "json", not {format!r}')
        res = self._request("GET", f"/v1/jobs/{job_id}/weights", params={"format": "safetensors"}, headers={"accept": "application/octet-stream"})
        return SafetensorsWeights(res.content)

    def predict(self, job_id: str, inputs: Optional[List[List[float]]] = None, records: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
        """``POST /v1/jobs/{id}/predict`` with ``inputs`` (rows of numbers) or ``records`` (raw column values)."""
        body = {"inputs": inputs} if records is None else {"records": records}
        return self._json("POST", f"/v1/jobs/{job_id}/predict", json=body)

    # --- datasets

    def upload_dataset(
        self, data, target: Optional[str] = None, types: Optional[str] = None, content_type: str = "text/csv", name: Optional[str] = None
    ) -> Dict[str, Any]:
        """``POST /v1/datasets``: ``data`` is bytes, a str, or a path to a file."""
        if isinstance(data, str) and os.path.exists(data):
            with open(data, "rb") as f:
                data = f.read()
        params = {k: v for k, v in {"target": target, "types": types, "name": name}.items() if v is not None}
        return self._json("POST", "/v1/datasets", data=data, params=params, headers={"content-type": content_type})

    def list_datasets(self, limit: Optional[int] = None, after: Optional[str] = None) -> Dict[str, Any]:
        params = {k: v for k, v in {"limit": limit, "after": after}.items() if v is not None}
        return self._json("GET", "/v1/datasets", params=params)


def _sse(res: requests.Response) -> Iterator[Tuple[str, str]]:
    """``(id, data)`` of each SSE message with an id; comments (``: ping``) and id-less frames skipped."""
    ev_id, data = None, []
    for raw in res.iter_lines(decode_unicode=False, chunk_size=1):
        line = raw.decode("utf-8")
        if line == "":
            if ev_id is not None and data:
                yield ev_id, "\n".join(data)
            ev_id, data = None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                ev_id = value
            elif field == "data":
                data.append(value)
