"""``@intercept()`` (or ``@rs``) on a function or a class.

A decorated function, sync or ``async def``, runs intercepted, and each call
starts from a fresh state (``RedshiftIntercept.reset``): a parametrized test
or a helper called twice never sees what an earlier call left. A parameter
named ``rs`` receives the interceptor and is hidden from the signature
pytest reads (so it looks for no fixture of that name).

A decorated class stays that class: its test methods (``test*``) and the
per-test hooks of unittest and pytest (``setUp``/``tearDown``,
``asyncSetUp``/``asyncTearDown``, ``setup_method``/``teardown_method``) are
replaced, on the class, by wrappers that run them intercepted. The state is
reset when a method runs on a new test instance: unittest and pytest make
one instance per test, so the reset happens before ``setUp`` (what it seeds
is visible to the test) and nothing leaks to the next test.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from ._intercept import RedshiftIntercept

PER_TEST_HOOKS = ("setUp", "tearDown", "asyncSetUp", "asyncTearDown", "setup_method", "teardown_method")
"""Methods a test framework calls around each test; wrapped like ``test*`` methods."""

_XUNIT_HOOKS = ("setup_method", "teardown_method")


def decorate(rs: RedshiftIntercept, target: Any) -> Any:
    """What ``rs(target)`` returns: ``target`` decorated, or a TypeError."""
    if inspect.isclass(target):
        return _decorate_class(rs, target)
    if inspect.isfunction(target) or inspect.ismethod(target):
        return _decorate_function(rs, target)
    raise TypeError("intercept() decorates a function (def or async def) or a class (its test methods), "
                    f"got {type(target).__name__}")


def _injection(func: Callable[..., Any], method: bool) -> tuple[Optional[str], inspect.Signature]:
    """How ``func`` receives the interceptor: ``"first"`` (its first
    parameter is ``rs``), ``"keyword"`` (``rs`` elsewhere) or None; and the
    signature to show, without ``rs``."""
    signature = inspect.signature(func)
    parameters = list(signature.parameters.values())
    target = signature.parameters.get("rs")
    if target is None or target.kind in (target.VAR_POSITIONAL, target.VAR_KEYWORD):
        return None, signature
    shown = signature.replace(parameters=[p for p in parameters if p is not target])
    if not method and parameters[0] is target and target.kind is not target.KEYWORD_ONLY:
        return "first", shown
    if target.kind is target.POSITIONAL_ONLY:
        raise TypeError(f"{func.__qualname__}: the rs parameter receives the interceptor by keyword; "
                        "make it the first parameter or not positional-only")
    return "keyword", shown


def _decorate_function(rs: RedshiftIntercept, func: Callable[..., Any]) -> Callable[..., Any]:
    inject, shown = _injection(func, method=False)

    def arguments(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        if inject == "first":
            return (rs, *args), kwargs
        if inject == "keyword":
            return args, {**kwargs, "rs": rs}
        return args, kwargs

    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = arguments(args, kwargs)
            rs._begin_fresh()
            try:
                return await func(*args, **kwargs)
            finally:
                rs.stop()
        wrapper: Any = async_wrapper
    else:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = arguments(args, kwargs)
            rs._begin_fresh()
            try:
                return func(*args, **kwargs)
            finally:
                rs.stop()
    if inject:
        wrapper.__signature__ = shown
    return wrapper


def _decorate_class(rs: RedshiftIntercept, cls: type) -> type:
    tests = _TestInstances(rs)
    for name in dir(cls):
        if not (name.startswith("test") or name in PER_TEST_HOOKS):
            continue
        method = inspect.getattr_static(cls, name)
        if inspect.isfunction(method):  # not a staticmethod, classmethod, property or fixture
            setattr(cls, name, _decorate_method(rs, tests, method, name))
    return cls


class _TestInstances:
    """Which test instance the interceptor last started for: a method
    running on another one starts a new test, from a fresh state."""

    def __init__(self, rs: RedshiftIntercept) -> None:
        self._rs = rs
        self._last: Callable[[], Any] = lambda: None

    def begin(self, instance: Any) -> bool:
        """Start ``rs`` for a method of ``instance``; False if it is already
        active for that instance (a decorated method calling another)."""
        rs = self._rs
        same = self._last() is instance
        if same and rs.active:
            return False
        if same:
            rs.start()
        else:
            rs._begin_fresh()
            try:
                self._last = weakref.ref(instance)
            except TypeError:  # no weak references (__slots__): keep it alive until the next test
                self._last = lambda: instance
        return True


def _decorate_method(rs: RedshiftIntercept, tests: _TestInstances, func: Callable[..., Any],
                     name: str) -> Callable[..., Any]:
    inject, shown = _injection(func, method=True)

    def arguments(kwargs: dict) -> dict:
        return {**kwargs, "rs": rs} if inject else kwargs

    def run(instance: Any, call: Callable[[], Any]) -> Any:
        started = tests.begin(instance)
        try:
            return call()
        finally:
            if started:
                rs.stop()

    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def async_method(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = tests.begin(self)
            try:
                return await func(self, *args, **arguments(kwargs))
            finally:
                if started:
                    rs.stop()
        wrapper: Any = async_method
    elif name in _XUNIT_HOOKS:
        # pytest passes the test function to setup_method / teardown_method
        # only when the method's code takes a second positional argument:
        # the wrapper's code must take the same.
        if func.__code__.co_argcount >= 2:
            @functools.wraps(func)
            def wrapper(self: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
                return run(self, lambda: func(self, method, *args, **arguments(kwargs)))
        else:
            @functools.wraps(func)
            def wrapper(self: Any) -> Any:
                return run(self, lambda: func(self, **arguments({})))
    else:
        @functools.wraps(func)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            return run(self, lambda: func(self, *args, **arguments(kwargs)))
    if inject:
        wrapper.__signature__ = shown
    return wrapper
