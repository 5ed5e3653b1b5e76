"""Stopping a child process the way every launcher here does: politely, then firmly."""

import os
import signal
import subprocess


def terminate(proc, timeout):
    """SIGTERM ``proc`` (a :class:`subprocess.Popen` this process started), wait up to ``timeout``
    seconds, then SIGKILL it; returns its exit status. Only ever the pid we started."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return proc.returncode
