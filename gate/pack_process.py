"""Supervise the policy pack's process the way the Pulumi CLI boots it.

The CLI boots a Python policy pack as ``python -u -m pulumi.policy <engine-address> .`` with the
pack folder as working directory and the stack in its environment (``constructEnv``), serves a
minimal Engine service at that address, and reads the pack's gRPC port from the first line of
its stdout. :class:`PackProcess` does the same, drains the pack's pipes, enforces the session's
deadline and start-up timeout, and stops the pack's whole process group on close, on
``atexit`` and — should the gate die without cleaning up — through a watchdog process.
The protocol spoken over the connection is :class:`gate.pack_session.PolicyPackSession`'s.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent import futures
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from gate.model import Secret
from gate.pack_launch import (
    _TRACEBACK_BOOTSTRAP,
    _WATCHDOG,
    _config_environment,
    _read_manifest,
)
from gate.pack_types import PackStartError, PolicyPackError
from gate.pack_wire import config_string

# rpcutil.GrpcChannelOptions: the CLI raises the message limits to 400 MiB.
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]

class _Pump:
    """Drains one pipe of the pack on a daemon thread into a growing buffer."""

    def __init__(self, stream: Any, label: str) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"policy-pack-{label}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while chunk := self._stream.read1(65536):
                with self._changed:
                    self._buffer += chunk
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._eof = True
                self._changed.notify_all()

    def size(self) -> int:
        """Bytes received so far."""
        with self._changed:
            return len(self._buffer)

    def text(self, start: int = 0) -> str:
        """Everything received from byte ``start`` on, decoded."""
        with self._changed:
            return bytes(self._buffer[start:]).decode("utf-8", errors="replace")

    def wait_for(self, predicate: Callable[[bytes, bool], bool], timeout: float) -> bool:
        """Wait until ``predicate(buffer, eof)`` holds; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: predicate(bytes(self._buffer), self._eof), timeout=max(timeout, 0.0)
            )

    def wait_quiet(self, quiet: float, limit: float) -> None:
        """Wait until nothing arrived for ``quiet`` seconds (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        with self._changed:
            while not self._eof and time.monotonic() < deadline:
                before = len(self._buffer)
                self._changed.wait(timeout=quiet)
                if len(self._buffer) == before:
                    return

    def join(self, timeout: float) -> None:
        """Wait for the pipe to close."""
        self._thread.join(timeout)

    def close(self, timeout: float) -> None:
        """Wait for the pipe to close, then release our end (unless a straggler holds it)."""
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._stream.close()


class _EngineServicer(engine_pb2_grpc.EngineServicer):
    """The minimal Engine service the CLI exposes at the address it gives the pack."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.root_urn = ""

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802 - gRPC name
        """Accept a log message. The Python SDK never calls this (``pulumi.log`` writes to the
        pack's stderr, which the gate reads), so nothing keeps it."""
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        """Return the root resource URN."""
        with self._lock:
            return engine_pb2.GetRootResourceResponse(urn=self.root_urn)

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC name
        """Remember the root resource URN."""
        with self._lock:
            self.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()


class _EngineServer:
    """An in-process Engine gRPC server on a free loopback port."""

    def __init__(self) -> None:
        self.servicer = _EngineServicer()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2),
                                   options=_CHANNEL_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(self.servicer, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.address = f"127.0.0.1:{port}"

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop(grace=None)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the pack's process group (the pack leads its own session)."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return  # the whole group is already gone
    elif sig == signal.SIGTERM:
        process.terminate()
    else:
        process.kill()



def _rpc_code(error: grpc.RpcError) -> grpc.StatusCode | None:
    return cast(grpc.Call, error).code()


def _rpc_details(error: grpc.RpcError) -> str:
    return cast(grpc.Call, error).details() or ""







_LIVE: weakref.WeakSet[PackProcess] = weakref.WeakSet()


@atexit.register
def _close_live_sessions() -> None:
    """Stop every pack still running when the interpreter exits."""
    for session in list(_LIVE):
        session.close()


class PackProcess(ABC):
    """The pack's process, its pipes, its Engine server and the session's deadline.

    The base of :class:`gate.pack_session.PolicyPackSession`, which sets these attributes in its
    ``__init__`` and speaks the protocol in :meth:`_open` once :meth:`_launch` connected.
    """

    pack_dir: Path
    stack: str
    project: str
    organization: str
    dry_run: bool
    _stack_config: dict[str, Any]
    _python: str
    _tracebacks: bool
    _startup_timeout: float
    _rpc_timeout: float
    _deadline_seconds: float | None
    _deadline_at: float | None
    _exit: ExitStack
    _started: bool
    _closed: bool
    _manifest_version: str
    _engine: _EngineServer | None
    _process: subprocess.Popen[bytes] | None
    _watchdog: subprocess.Popen[bytes] | None
    _stdout: _Pump | None
    _stderr: _Pump | None
    _channel: grpc.Channel | None
    _stub: analyzer_pb2_grpc.AnalyzerStub | None

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Launch the pack and run the CLI's opening exchange; cleans up if anything fails."""
        if self._started:
            raise PolicyPackError("the session was already started")
        self._started = True
        self.arm_deadline()
        try:
            self._launch()
            self._open()
        except BaseException:
            self.close()
            raise

    @abstractmethod
    def _open(self) -> None:
        """The protocol's opening exchange, once connected (the session's)."""

    def close(self) -> None:
        """Terminate the pack (SIGTERM to its group, then SIGKILL) and release everything."""
        if self._closed:
            return
        self._closed = True
        _LIVE.discard(self)
        self._exit.close()


    @property
    def pid(self) -> int | None:
        """The pack's process id, once launched."""
        return self._process.pid if self._process else None

    def stderr_text(self) -> str:
        """Everything the pack wrote to stderr (``pulumi.log`` output lands here)."""
        return self._stderr.text() if self._stderr else ""

    def _launch(self) -> None:
        """Boot the pack like the CLI and connect to it (an AnalyzerStub in ``_stub``)."""
        self._manifest_version = _read_manifest(self.pack_dir).version
        self._engine = _EngineServer()
        self._exit.callback(self._engine.stop)

        if self._tracebacks:
            entry = ["-c", _TRACEBACK_BOOTSTRAP]
        else:
            entry = ["-m", "pulumi.policy"]
        argv = [self._python, "-u", *entry, self._engine.address, "."]
        try:
            process = subprocess.Popen(  # noqa: S603 - argv is fully ours
                argv,
                cwd=self.pack_dir,
                env=self._pack_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=os.name == "posix",
            )
        except OSError as error:
            raise PackStartError(f"could not launch {self._python}: {error}") from error
        self._process = process
        _LIVE.add(self)
        self._exit.callback(self._shutdown_process)
        self._stdout = _Pump(process.stdout, "stdout")
        self._stderr = _Pump(process.stderr, "stderr")
        if os.name == "posix":
            self._watchdog = subprocess.Popen(  # noqa: S603 - argv is fully ours
                [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(process.pid)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        deadline = time.monotonic() + min(self._startup_timeout, self._time_left())
        port = self._read_port(deadline)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
        self._exit.callback(self._channel.close)
        try:
            grpc.channel_ready_future(self._channel).result(
                timeout=max(deadline - time.monotonic(), 0.1))
        except grpc.FutureTimeoutError as error:
            raise self._start_failure(f"could not connect to the pack on port {port}") from error
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)


    def _pack_environment(self) -> dict[str, str]:
        """The environment ``constructEnv`` gives a policy pack."""
        config = {key: config_string(value.value if isinstance(value, Secret) else value)
                  for key, value in self._stack_config.items()}
        environment = dict(os.environ)
        environment.update(_config_environment(config))
        environment.update({
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
        })
        if self.organization:
            environment["PULUMI_ORGANIZATION"] = self.organization
        return environment

    def _read_port(self, deadline: float) -> int:
        """Read the gRPC port from the first line of the pack's stdout."""
        assert self._stdout is not None
        has_line = self._stdout.wait_for(lambda data, eof: b"\n" in data or eof,
                                         deadline - time.monotonic())
        first = self._stdout.text().split("\n", 1)
        if not has_line:
            raise self._start_failure(
                f"the pack did not report its port within {self._startup_timeout:g}s")
        if len(first) == 1:
            said = f" (stdout: {first[0].strip()!r})" if first[0].strip() else ""
            raise self._start_failure(f"the pack exited before reporting its port{said}",
                                      wait=5.0)
        line = first[0].strip()
        try:
            port = int(line)
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            raise self._start_failure(
                f"the pack printed {line!r} on stdout where its gRPC port was expected")
        return port

    def _start_failure(self, message: str, *, wait: float = 0.2) -> PackStartError:
        """Build a PackStartError carrying the pack's stderr and, if it exited, its exit code."""
        assert self._process is not None and self._stderr is not None
        try:
            self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            exit_code = None  # still running: report what it said so far
        else:
            exit_code = self._process.returncode
            self._stderr.join(timeout=2.0)
        if exit_code is not None:
            message += f" (exit code {exit_code})"
        return PackStartError(f"policy pack {self.pack_dir}: {message}",
                              stderr=self._stderr.text(), exit_code=exit_code)

    def _opening_call(self, method: str, request: Any) -> Any:
        """Make one call of the opening exchange; UNIMPLEMENTED is tolerated like the CLI."""
        try:
            return getattr(self._stub, method)(request, timeout=self._call_timeout())
        except grpc.RpcError as error:
            if _rpc_code(error) == grpc.StatusCode.UNIMPLEMENTED and method != "GetAnalyzerInfo":
                return None
            raise self._start_failure(f"{method} failed: {_rpc_details(error)}") from error

    def _shutdown_process(self) -> None:
        """Stop the pack's process group, then release (or fire) the watchdog."""
        process = self._process
        assert process is not None
        try:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=5.0)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout=5.0)
        finally:
            self._release_watchdog(disarm=process.poll() is not None)
            for pump in (self._stdout, self._stderr):
                if pump is not None:
                    pump.close(timeout=2.0)

    def _release_watchdog(self, *, disarm: bool) -> None:
        watchdog = self._watchdog
        if watchdog is None or watchdog.stdin is None:
            return
        try:
            if disarm:
                watchdog.stdin.write(b"d")
            watchdog.stdin.close()
        except BrokenPipeError:
            return  # the watchdog already exited
        finally:
            try:
                watchdog.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()


    # -- deadline -------------------------------------------------------------------------

    def arm_deadline(self) -> None:
        """Restart the deadline's clock, e.g. when the analysis begins after an early start."""
        if self._deadline_seconds is not None:
            self._deadline_at = time.monotonic() + self._deadline_seconds

    def _time_left(self) -> float:
        """Seconds left before the session's deadline (infinite without one)."""
        if self._deadline_at is None:
            return float("inf")
        return self._deadline_at - time.monotonic()

    def _call_timeout(self) -> float:
        """How long the next call may take: the RPC timeout, capped by the deadline."""
        return max(min(self._rpc_timeout, self._time_left()), 0.001)

