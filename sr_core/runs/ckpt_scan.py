"""A checkpoint's health without torch: what ``list`` (and the demo's model list) can afford per run.

:func:`scan_problem` reads the file as the zip archive ``torch.save`` writes and returns '' or one line:
an empty file, a file that is not such an archive (garbage, a plain pickle), a pickle referring to
anything ``torch.load(weights_only=True)`` would refuse (a class or function outside torch's tensor
rebuilders and ``OrderedDict``), or floating-point storages holding NaN/inf (checked on the bit patterns
with numpy, no float conversion). Results are cached per (path, mtime, size). A checkpoint that passes
can still be refused by the full load (:func:`sr_core.runs.listing.checkpoint_problem`), e.g. a wrong field.
"""
from __future__ import annotations

import pickletools
import zipfile
from pathlib import Path

# weights_only's allow-list, as far as a scan can tell: torch's own rebuilders, storages and dtypes.
_ALLOWED = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"),
            ("builtins", "complex"), ("builtins", "bytearray"), ("builtins", "slice"), ("_codecs", "encode")}
_ALLOWED |= {("__builtin__", n) for m, n in _ALLOWED if m == "builtins"}  # protocol 2's name for builtins
# storage type -> (item size, high-byte mask, next-byte mask) of the exponent (little endian): all exponent
# bits set means inf or NaN. Checked with bytes slicing and translate (C speed; no numpy for ``list``).
_FLOAT_STORAGES = {"HalfStorage": (2, 0x7C, 0x00), "BFloat16Storage": (2, 0x7F, 0x80),
                   "FloatStorage": (4, 0x7F, 0x80), "DoubleStorage": (8, 0x7F, 0xF0)}
MAX_SCAN_BYTES = 256 * 2**20  # storages above this are not scanned for NaN (the full load still is)
_CACHE: dict[tuple[str, int, int], str] = {}


def _globals_and_storages(pickled: bytes) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The pickle's (module, name) globals and {storage key: storage type} (persistent ids)."""
    found: list[tuple[str, str]] = []
    storages: dict[str, str] = {}
    strings: list[str] = []
    last_storage = ""
    memo: dict[int, str] = {}  # memo slot -> storage type (a type used twice is fetched from the memo)
    for op, arg, _ in pickletools.genops(pickled):
        if op.name in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
            slot = int(arg) if arg is not None else len(memo) + 10**9  # MEMOIZE: protocol 4's implicit slot
            if last_storage:
                memo[slot] = last_storage
            continue
        if op.name in ("BINGET", "LONG_BINGET", "GET"):
            last_storage = memo.get(int(arg), "")
            continue
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(str(arg))
            if last_storage and str(arg).isdigit():  # ('storage', torch.XStorage, KEY, location, numel)
                storages[str(arg)] = last_storage
                last_storage = ""
        elif op.name == "GLOBAL":
            module, _, name = str(arg).partition(" ")
            found.append((module, name))
            last_storage = name if name.endswith("Storage") else ""
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append((strings[-2], strings[-1]))
            last_storage = strings[-1] if strings[-1].endswith("Storage") else ""
    return found, storages


def _nonfinite(raw: bytes, kind: str) -> bool:
    """True when a little-endian float storage holds an inf or NaN (its exponent bits all set)."""
    size, hi_mask, lo_mask = _FLOAT_STORAGES[kind]
    n = len(raw) // size * size
    table = bytes(1 if b & hi_mask == hi_mask else 0 for b in range(256))
    flags = raw[size - 1:n:size].translate(table)
    i = flags.find(1)
    while i != -1:
        if raw[i * size + size - 2] & lo_mask == lo_mask:
            return True
        i = flags.find(1, i + 1)
    return False


def _scan(path: Path) -> str:
    if path.stat().st_size == 0:
        return "checkpoint.pt is empty (0 bytes): the run was killed while saving; delete the run or retrain"
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if pkl is None:
                return "checkpoint.pt is not a torch checkpoint (no data.pkl inside); delete the run or retrain"
            prefix = pkl[: -len("data.pkl")]
            found, storages = _globals_and_storages(z.read(pkl))
            bad = [f"{m}.{n}" for m, n in found if not (m == "torch" or m.startswith("torch.") or (m, n) in _ALLOWED)]
            if bad:
                return (f"checkpoint.pt refers to {bad[0]}, which a safe load (weights_only) refuses; "
                        f"it was not written by sr_core — delete the run or retrain")
            for key, kind in storages.items():
                entry = f"{prefix}data/{key}"
                if kind in _FLOAT_STORAGES and entry in names and z.getinfo(entry).file_size <= MAX_SCAN_BYTES:
                    if _nonfinite(z.read(entry), kind):
                        return "checkpoint.pt holds weights that are not finite (NaN/inf): training diverged; " \
                               "lower the learning rate and retrain, or resume from an earlier run"
    except (zipfile.BadZipFile, EOFError, ValueError, KeyError):
        return "checkpoint.pt is not a torch checkpoint (garbage or a plain pickle); delete the run or retrain"
    except Exception as exc:  # noqa: BLE001  pickletools on a hostile stream: any failure means unreadable
        return f"checkpoint.pt is unreadable ({type(exc).__name__}); delete the run or retrain"
    return ""


def scan_problem(path: str | Path) -> str:
    """'' when ``path`` looks like a usable torch checkpoint, else one line naming the problem (cached)."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return ""  # gone meanwhile: the next listing sees it
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        if len(_CACHE) > 512:
            _CACHE.clear()
        try:
            _CACHE[key] = _scan(path)
        except OSError as exc:
            _CACHE[key] = f"checkpoint.pt is unreadable ({exc.strerror}); delete the run or fix its files"
    return _CACHE[key]
