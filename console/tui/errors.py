"""Errors in workers become notifications, never tracebacks."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from textual.widget import Widget

Method = TypeVar("Method", bound=Callable[..., Any])


def notify_errors(what: str) -> Callable[[Method], Method]:
    """Report an unexpected exception in the decorated method as an error notification."""

    def decorate(method: Method) -> Method:
        def report(node: Widget, error: Exception) -> None:
            # notify is thread-safe, so this serves thread workers too; the error's
            # text may hold brackets, so it is never read as markup.
            message = f"{what} failed: {type(error).__name__}: {error}"
            node.notify(message, severity="error", timeout=12, markup=False)

        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def run_async(node: Widget, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await method(node, *args, **kwargs)
                except Exception as error:
                    report(node, error)
                    return None

            return run_async  # type: ignore[return-value]

        @functools.wraps(method)
        def run(node: Widget, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(node, *args, **kwargs)
            except Exception as error:
                report(node, error)
                return None

        return run  # type: ignore[return-value]

    return decorate
