"""Counting the database's round trips at the wire: a small TCP proxy between the application
engine and PostgreSQL that reads the frontend protocol the client sends.

After the startup packet, every frontend message is a type byte and an int32 length. A client
waits for the server after each Sync ('S', the end of an extended-protocol exchange: Parse /
Bind / Execute ...) and each simple Query ('Q'), so those two are the round trips; a BEGIN or
START TRANSACTION sent either way is a transaction. The proxy runs in a process of its own so
that forwarding costs the measured process no CPU; the counters live in shared memory."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import struct
from ctypes import c_longlong
from dataclasses import dataclass
from typing import Any

ROUND_TRIPS, TRANSACTIONS, MESSAGES, CONNECTIONS = range(4)
# Untyped startup-phase requests after which the client sends another untyped packet.
_SSL_REQUEST, _GSSENC_REQUEST = 80877103, 80877104


def _begins_transaction(sql: bytes) -> bool:
    head = sql.lstrip()[:17].upper()
    return head.startswith(b"BEGIN") or head.startswith(b"START TRANSACTION")


class FrontendParser:
    """Feeds on the bytes a client sends; counts into `counters` (indexable, shared)."""

    def __init__(self, counters: Any) -> None:
        self.counters = counters
        self.buffer = bytearray()
        self.startup = True

    def feed(self, data: bytes) -> None:
        self.buffer += data
        buffer, offset = self.buffer, 0
        while True:
            if self.startup:
                if len(buffer) - offset < 8:
                    break
                length, code = struct.unpack_from("!ii", buffer, offset)
                if len(buffer) - offset < length:
                    break
                offset += length
                self.startup = code in (_SSL_REQUEST, _GSSENC_REQUEST)
                continue
            if len(buffer) - offset < 5:
                break
            kind = buffer[offset]
            (length,) = struct.unpack_from("!i", buffer, offset + 1)
            if len(buffer) - offset < 1 + length:
                break
            body = bytes(buffer[offset + 5 : offset + 1 + length])
            offset += 1 + length
            self._count(kind, body)
        del buffer[:offset]

    def _count(self, kind: int, body: bytes) -> None:
        self.counters[MESSAGES] += 1
        if kind in (ord("S"), ord("Q")):
            self.counters[ROUND_TRIPS] += 1
        if kind == ord("Q"):
            sql = body.rstrip(b"\0")
        elif kind == ord("P"):  # Parse: statement name, NUL, query text, NUL, ...
            sql = body.split(b"\0", 2)[1] if body.count(b"\0") >= 2 else b""
        else:
            return
        if _begins_transaction(sql):
            self.counters[TRANSACTIONS] += 1


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, parser: FrontendParser | None
) -> None:
    try:
        while data := await reader.read(65536):
            if parser is not None:
                parser.feed(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def _serve(listener: socket.socket, upstream: tuple[str, int], counters: Any) -> None:
    async def handle(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        counters[CONNECTIONS] += 1
        server_reader, server_writer = await asyncio.open_connection(*upstream)
        for stream in (client_writer, server_writer):
            sock = stream.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(
            _pipe(client_reader, server_writer, FrontendParser(counters)),
            _pipe(server_reader, client_writer, None),
        )

    server = await asyncio.start_server(handle, sock=listener)
    async with server:
        await server.serve_forever()


def _proxy_main(listener: socket.socket, upstream: tuple[str, int], counters: Any) -> None:
    asyncio.run(_serve(listener, upstream, counters))


@dataclass
class WireCounts:
    round_trips: int
    transactions: int


class WireProxy:
    """`with WireProxy(host, port) as proxy:` connect to 127.0.0.1:proxy.port instead."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        context = multiprocessing.get_context("spawn")
        self.counters = context.RawArray(c_longlong, 4)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.process = context.Process(
            target=_proxy_main, args=(self.listener, self.upstream, self.counters), daemon=True
        )

    def __enter__(self) -> WireProxy:
        self.process.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        self.listener.close()

    def counts(self) -> WireCounts:
        return WireCounts(self.counters[ROUND_TRIPS], self.counters[TRANSACTIONS])
