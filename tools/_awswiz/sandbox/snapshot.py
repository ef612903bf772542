"""A saved seed: moto's backends and the sandbox's own state as the demo lab left them, pickled to the state dir, so
a cold start restores them (a second or two) instead of seeding the lab again through ~150 API calls.

A saved seed is used only by the same sandbox code, moto and Python, on the same day (the lab's dates, launch times
and key ages are relative to the day it was seeded): its fingerprint says so. Anything else, or a file that does not
load, seeds afresh and saves a new one; that is an expected event, logged as one line, never a traceback. The file
is the sandbox's own, written 0600 in the private state dir (pickle runs what it loads: never point it elsewhere)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import io
import os
import pickle
import sys
import weakref
from collections import defaultdict
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import handlers as H

_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)

VERSION = 1


def today() -> str:
    return os.environ.get("AWSWIZ_TODAY", "").strip() or _dt.datetime.now(_dt.UTC).date().isoformat()


def fingerprint() -> str:
    """The sandbox's code, moto's version, Python's, and the day."""
    import moto

    digest = hashlib.sha256(f"{VERSION}|{moto.__version__}|{sys.version}|{today()}".encode())
    here = Path(__file__).parent
    for path in sorted(here.rglob("*.py")):
        digest.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _backend_dicts() -> dict[tuple[str, str], object]:
    """Every moto BackendDict loaded so far, by (module, attribute): where a fresh process finds its own."""
    from moto.core.base_backend import BackendDict

    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("moto.") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, BackendDict) and (name, attr) not in found:
                found[(name, attr)] = value
    return found


class _Pickler(pickle.Pickler):
    """What moto keeps that pickle cannot take as it is: KMS keys (cryptography's objects) go as PEM bytes, the
    WeakValueDictionary of Lambda's function index as the functions it holds (kept alive by the backend's other
    references to them), a defaultdict whose factory is a lambda making an empty dict, list or set as one whose
    factory is that type."""

    def reducer_override(self, obj):
        if isinstance(obj, defaultdict) and "<" in getattr(obj.default_factory, "__qualname__", ""):
            empty = obj.default_factory()  # a lambda making an empty builtin (moto's `defaultdict(lambda: {})`)
            if type(empty) in (dict, list, set) and not empty:
                return _defaultdict, (type(empty), dict(obj))
            return NotImplemented
        if isinstance(obj, weakref.WeakValueDictionary):
            return weakref.WeakValueDictionary, (dict(obj),)
        if isinstance(obj, _KEYS):
            pem = obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            return _key, (pem,)
        return NotImplemented


def _defaultdict(kind: type, items: dict) -> defaultdict:
    return defaultdict(kind, items)


def _key(pem: bytes):
    return serialization.load_pem_private_key(pem, None)


def save(path: Path, lab: dict) -> None:
    buf = io.BytesIO()
    with H.LOCK:
        doc = {"fingerprint": fingerprint(), "lab": lab, "state": H.STATE, "serials": H.SERIALS,
               "backends": _backend_dicts()}
        _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(doc)
    data = buf.getvalue()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def restore(path: Path) -> tuple[dict | None, str]:
    """(the lab's summary, why) after restoring the saved seed at path; (None, why not) when there is none to use."""
    try:
        data = path.read_bytes()
    except OSError:
        return None, "no saved seed"
    want = fingerprint()
    try:
        doc = pickle.loads(data)
    except Exception as e:  # noqa: BLE001 - a file of another version or a broken one: seed afresh
        return None, f"the saved seed does not load ({type(e).__name__})"
    if not isinstance(doc, dict) or doc.get("fingerprint") != want:
        return None, "the saved seed is of another day or another version"
    with H.LOCK:
        for (module, attr), saved in doc["backends"].items():
            live = getattr(importlib.import_module(module), attr)
            live.clear()
            live.update(saved)
        H.STATE.clear()
        H.STATE.update(doc["state"])
        for name, n in doc["serials"].items():  # never back: a reset does not hand out an id a second time
            H.SERIALS[name] = max(n, H.SERIALS.get(name, n))
    return doc["lab"], "restored the saved seed"
