"""Run a function when a module is first imported (a post-import hook).

``when_imported("botocore", callback)`` calls ``callback(module)`` right
after the program's own ``import botocore`` has executed the module, or at
once if it is already imported. The program imports whichever ``botocore``
its own ``sys.path`` and import finders give (the AWS CLI v1 serves its
bundled copy under that name), and the callback gets that one: nothing is
imported early, and nothing is imported at all by a program that never
imports the module. Standard library only, so that importing it costs
nothing either.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

TYPE_CHECKING = False  # not typing's: importing typing would cost a program that never uses botocore
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

    Callback = Callable[[Any], None]

_lock = threading.RLock()
_waiting: Dict[str, List[Callback]] = {}


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` once module ``name`` (top level) has been
    imported: now if it already is, else right after its first import."""
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _waiting.setdefault(name, []).append(callback)
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return
    callback(module)


class _Finder:
    """First on ``sys.meta_path`` while a callback waits: finds the module's
    spec through the finders after it, and wraps its loader."""

    def __init__(self) -> None:
        self._finding: set = set()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in _waiting or fullname in self._finding:
            return None
        self._finding.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader, fullname)  # type: ignore[assignment]
        return spec

    def __repr__(self) -> str:
        return f"<redshift_intercept import hook waiting for {sorted(_waiting)}>"


class _Loader:
    """Executes the module with its own loader (which it sees as its
    ``__loader__``), then runs the callbacks waiting for it."""

    def __init__(self, loader: Any, name: str) -> None:
        self._loader = loader
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._loader, attribute)

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        with _lock:
            callbacks = _waiting.pop(self._name, [])
            if not _waiting and _FINDER in sys.meta_path:
                sys.meta_path.remove(_FINDER)
        imported = sys.modules.get(self._name, module)  # a module may put another object in its place
        for callback in callbacks:
            callback(imported)


_FINDER = _Finder()
