"""Polling for a condition another process makes true (a server restarting, a job running)."""

import time


def wait_for(condition, timeout, what=None, interval=0.1):
    """Call ``condition()`` every ``interval`` seconds until it returns something true, for at most
    ``timeout`` seconds; returns that value. When ``what`` names the awaited state, a timeout fails
    the test saying so; without it, the last value is returned for the caller to assert on."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            if what is not None:
                raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))
            return value
        time.sleep(interval)
