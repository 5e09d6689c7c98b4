"""KeyedLocks: holders of one key exclude each other, other keys go on, and a key's lock
is forgotten once nobody holds or waits for it."""

from __future__ import annotations

import threading
import time

from bot.keyed_locks import KeyedLocks

from .waits import to_block, until


def test_a_second_holder_of_a_key_waits_and_another_key_does_not():
    locks = KeyedLocks()
    order: list[str] = []

    def second(key: str) -> None:
        with locks.hold(key):
            order.append(key)

    with locks.hold("req-1"):
        same = threading.Thread(target=second, args=("req-1",))
        other = threading.Thread(target=second, args=("req-2",))
        same.start()
        other.start()
        assert until(lambda: "req-2" in order)
        to_block()  # the same key's holder has had time to take the lock, if it could
        assert order == ["req-2"]
        assert len(locks) == 1  # req-1: held here, waited for by `same`
    same.join(5)
    other.join(5)
    assert order == ["req-2", "req-1"]


def test_a_lock_is_forgotten_when_its_last_holder_lets_go_even_after_an_error():
    locks = KeyedLocks()
    for n in range(100):
        with locks.hold(("request", n)):
            assert len(locks) == 1
    try:
        with locks.hold("failing"):
            raise RuntimeError("the work failed")
    except RuntimeError:
        pass
    assert len(locks) == 0
    with locks.hold("failing"):  # taken again at once: it was released
        pass


def test_many_threads_on_one_key_never_overlap():
    locks = KeyedLocks()
    inside, most = [0], [0]
    guard = threading.Lock()

    def work() -> None:
        for _ in range(200):
            with locks.hold("card"):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0)  # let the other threads run while this one holds the key
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most[0] == 1
    assert len(locks) == 0
