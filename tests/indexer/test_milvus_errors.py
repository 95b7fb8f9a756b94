"""Which pymilvus errors the store treats as "server unreachable" (retry) vs request errors."""

from __future__ import annotations

import grpc
import pytest
from pymilvus.exceptions import MilvusException

from indexer.stores.milvus_rows import is_unavailable


class _RpcError(grpc.RpcError):
    """A gRPC error with a status, shaped like grpc's _InactiveRpcError."""

    def __init__(self, status: grpc.StatusCode) -> None:
        super().__init__(status.name)
        self._status = status

    def code(self) -> grpc.StatusCode:
        return self._status


def _raised_from(cause: BaseException, **fields) -> MilvusException:
    try:
        raise MilvusException(**fields) from cause
    except MilvusException as exc:
        return exc


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (grpc.StatusCode.UNAVAILABLE, True),
        (grpc.StatusCode.DEADLINE_EXCEEDED, True),
        (grpc.StatusCode.INVALID_ARGUMENT, False),
    ],
)
def test_code_holding_the_rpc_errors_bound_method_is_read(status, expected) -> None:
    # pymilvus 2.5 raised this when a served Lite file stopped mid-query (CI, 2026-11-25)
    exc = MilvusException(
        code=_RpcError(status).code,
        message="Retry run out of 0 retry times, message=Stream removed (Socket closed)",
    )
    exc.__cause__ = exc  # milvus_client does `raise ex from ex`
    assert is_unavailable(exc) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [(grpc.StatusCode.UNAVAILABLE, True), (grpc.StatusCode.NOT_FOUND, False)],
)
def test_rpc_error_as_the_cause_is_read(status, expected) -> None:
    exc = _raised_from(_RpcError(status), code=1, message="request failed")
    assert is_unavailable(exc) is expected


def test_request_errors_are_not_retried() -> None:
    exc = MilvusException(code=1100, message="failed to create query plan: cannot parse expression")
    assert not is_unavailable(exc)
