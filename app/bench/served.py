"""An ASGI app served by hypercorn on 127.0.0.1 in a thread with its own event loop: the local
protocol servers of the bench and the tests (push providers, the SMS gateway)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Generic, TypeVar

from hypercorn.asyncio import serve
from hypercorn.config import Config

App = TypeVar("App")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServedInThread(Generic[App]):
    """`start()` returns the app once its port answers; `stop()` shuts hypercorn down."""

    def __init__(self, app: App, port: int, name: str) -> None:
        self.app, self.port, self.name = app, port, name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            config = Config()
            config.bind = [f"127.0.0.1:{self.port}"]
            config.accesslog = None
            config.errorlog = None
            served: Any = self.app
            await serve(served, config, shutdown_trigger=self._stop.wait)

        asyncio.run(main())

    def start(self) -> App:
        self._thread.start()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.app
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
