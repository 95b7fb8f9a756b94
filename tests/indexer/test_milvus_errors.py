"""Which pymilvus errors the store retries (server unreachable), and for how long."""

from __future__ import annotations

import grpc
import pytest
from pymilvus.exceptions import MilvusException

from indexer.stores.base import StoreUnavailableError
from indexer.stores.milvus_calls import retry_delays
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


@pytest.mark.parametrize(
    ("budget", "delays"),
    [(15, (0.5, 1, 2, 4, 7.5)), (15.5, (0.5, 1, 2, 4, 8)), (0.3, (0.3,)), (0, ())],
)
def test_retry_delays_double_and_add_up_to_the_budget(budget, delays) -> None:
    assert retry_delays(budget) == pytest.approx(delays)


def test_a_server_that_never_answers_fails_the_open_with_the_uri() -> None:
    from indexer.stores.lite_server import free_port
    from indexer.stores.milvus import MilvusStore

    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(StoreUnavailableError, match=f"cannot reach the Milvus server at {uri}"):
        MilvusStore(uri, retry_delays=retry_delays(0.5))
