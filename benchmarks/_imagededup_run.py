"""Run imagededup's hashing methods on a folder; print ``{method: {file: [duplicates]}}`` as JSON.

Run with the benchmark virtualenv's interpreter: ``python _imagededup_run.py FOLDER``.
imagededup's package imports torch and torchvision at start-up for its CNN method, which this
benchmark does not score; they are not installed (a CUDA build of torch is gigabytes), so an
import hook hands out empty stand-ins for them. The hashing methods never touch them.
"""

import importlib.abc
import importlib.machinery
import json
import sys
import types

# Imported before the stand-ins exist, so their own optional-torch probes find no torch.
import scipy.stats  # noqa: F401
import sklearn.metrics.pairwise  # noqa: F401


class _Anything(type):
    """A class whose every attribute and call is another such class."""

    def __getattr__(cls, name: str) -> "_Anything":
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name, (), {})

    def __call__(cls, *args: object, **kwargs: object) -> "_Anything":
        return cls


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> _Anything:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name, (), {})


class _TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name.split(".")[0] in ("torch", "torchvision"):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):  # type: ignore[no-untyped-def]
        module = _StandIn(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):  # type: ignore[no-untyped-def]
        return None


def main() -> None:
    sys.meta_path.insert(0, _TorchFinder())
    from imagededup.methods import AHash, DHash, PHash, WHash

    folder = sys.argv[1]
    found = {}
    for method in (PHash, DHash, WHash, AHash):
        hasher = method(verbose=False)
        # Defaults throughout: max_distance_threshold=10, brute-force search.
        found[method.__name__] = hasher.find_duplicates(image_dir=folder)
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
