"""``FastScript`` against redis-py's ``Script``: the same replies, the same errors and the
same data, on the real Redis; and a lost connection or a forgotten script costs no call."""

from __future__ import annotations

from typing import Any

import pytest

from newscrawl.storage.redis_state import FastScript, connect
from tests.redis_support import REDIS_URL

REPLIES = """
local kind = ARGV[1]
if kind == 'nil' then return nil end
if kind == 'false' then return false end
if kind == 'true' then return true end
if kind == 'int' then return tonumber(ARGV[2]) end
if kind == 'float' then return 2.75 end
if kind == 'bulk' then return ARGV[2] end
if kind == 'nested' then return {ARGV[2], 7, {false, 'x', {}}, {}} end
if kind == 'status' then return redis.status_reply('FINE') end
if kind == 'error' then return redis.error_reply('WRONG something is off') end
if kind == 'raise' then return redis.call('incr', KEYS[1]) end
if kind == 'write' then
  redis.call('hset', KEYS[1], ARGV[2], ARGV[3])
  return redis.call('hgetall', KEYS[1])
end
return {#KEYS, #ARGV}
"""

CASES = [
    ("nil",),
    ("false",),
    ("true",),
    ("int", "-42"),
    ("float",),
    ("bulk", "déjà vu \x00 bytes"),
    ("bulk", b"\xff\xfe raw"),
    ("nested", "one"),
    ("status",),
    ("count", "a", "b", "c"),
    ("write", "field", "value"),
]


def reply_or_error(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Return the call's reply, or the type and text of the error it raised."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # compared below, whatever it is
        return (type(exc), str(exc))


@pytest.mark.parametrize("case", CASES, ids=[" ".join(map(str, c))[:30] for c in CASES])
def test_a_fast_call_replies_as_the_client(redis_prefix: tuple[Any, str], case: tuple) -> None:
    client, prefix = redis_prefix
    fast, plain = FastScript(client, REPLIES), client.register_script(REPLIES)
    ours = reply_or_error(fast, keys=[f"{prefix}:a"], args=list(case))
    theirs = reply_or_error(plain, keys=[f"{prefix}:b"], args=list(case))
    assert ours == theirs
    assert client.hgetall(f"{prefix}:a") == client.hgetall(f"{prefix}:b")
    fast.close()


@pytest.mark.parametrize("kind", ["error", "raise"])
def test_script_errors_are_raised_as_the_client_raises_them(
    redis_prefix: tuple[Any, str], kind: str
) -> None:
    client, prefix = redis_prefix
    client.set(f"{prefix}:text", "not a number")
    fast, plain = FastScript(client, REPLIES), client.register_script(REPLIES)
    ours = reply_or_error(fast, keys=[f"{prefix}:text"], args=[kind])
    theirs = reply_or_error(plain, keys=[f"{prefix}:text"], args=[kind])
    assert isinstance(ours, tuple)
    assert ours == theirs
    assert fast(keys=[], args=["int", "5"]) == 5  # the connection is still in step
    fast.close()


def test_the_frontiers_take_replies_as_through_the_client(redis_prefix: tuple[Any, str]) -> None:
    """The worker's hottest script, on two identical key spaces: same reply, same data."""
    from newscrawl.frontier import _PUSH_AND_TAKE

    client, prefix = redis_prefix
    fast, plain = FastScript(client, _PUSH_AND_TAKE), client.register_script(_PUSH_AND_TAKE)
    replies = []
    for call, side in ((fast, "a"), (plain, "b")):
        keys = [f"{prefix}:{side}:queue", f"{prefix}:{side}:taken", f"{prefix}:{side}:seen"]
        client.sadd(keys[2], "seen-before")
        pushes = ["fresh", -1, b"request one", "seen-before", 0, b"request two"]
        replies.append(call(keys=keys, args=["w:1", 2, *pushes]))
        replies.append(call(keys=keys, args=["w:2", 0]))
        replies.append(call(keys=keys, args=["", 0]))
    assert replies[:3] == replies[3:]
    for name in ("queue", "seen"):
        a, b = (f"{prefix}:{side}:{name}" for side in "ab")
        assert client.dump(a) == client.dump(b)
    fast.close()


def test_a_lost_connection_falls_back_to_the_client_and_then_reconnects(
    redis_prefix: tuple[Any, str],
) -> None:
    client, _prefix = redis_prefix
    worker = connect(REDIS_URL, retries=2)
    fast = FastScript(worker, REPLIES)
    assert fast(keys=[], args=["int", "1"]) == 1
    first = connection_id(fast)
    client.client_kill_filter(_id=first)
    assert fast(keys=[], args=["int", "2"]) == 2  # through the client, with its retries
    assert fast(keys=[], args=["int", "3"]) == 3  # on a new connection of its own
    assert connection_id(fast) != first
    fast.close()
    worker.close()


def test_a_script_redis_does_not_know_is_loaded_through_the_client(
    redis_prefix: tuple[Any, str],
) -> None:
    """As after a Redis restart (NOSCRIPT): here a script no test has run yet. (Not
    SCRIPT FLUSH: tests in other processes share the server's scripts.)"""
    import uuid

    client, _prefix = redis_prefix
    text = f"-- {uuid.uuid4().hex}\n{REPLIES}"
    fast = FastScript(client, text)
    assert not client.script_exists(fast.script.sha)[0]
    assert fast(keys=[], args=["int", "4"]) == 4
    assert client.script_exists(fast.script.sha)[0]
    assert fast(keys=[], args=["int", "5"]) == 5
    fast.close()


def connection_id(fast: FastScript) -> int:
    """The Redis client id of ``fast``'s own connection."""
    connection = fast._connection
    assert connection is not None
    connection.send_command("CLIENT", "ID")
    return int(connection.read_response())
