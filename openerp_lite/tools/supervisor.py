"""Keep a fixed number of child processes running: start them, replace the ones that die,
recycle them on request, stop them politely then firmly.

The prefork master runs its cron processes under a :class:`ChildProcesses`. The children are
started with exec, not fork: a fresh interpreter inherits no thread, lock or connection of the
master, whose own loop (gunicorn's) may be forking workers at the same moment. What to run is
the caller's business (a command line and an environment, built when each child starts), so this
module knows nothing of databases or options.
"""

import logging
import subprocess
import threading
import time

_logger = logging.getLogger(__name__)

#: seconds between two checks of the children by the supervising thread
CHECK_EVERY = 2.0
#: seconds between two checks while recycled children are stopping
RECYCLE_CHECK_EVERY = 0.1
#: seconds a child gets to finish its work after SIGTERM before SIGKILL
STOP_GRACE = 30.0


class ChildProcesses:
    """``count`` children of ``command()`` (with ``environment()``), called ``label`` in the log.

    ``on_check`` runs in the supervising thread after each round of checks (the master uses it to
    keep its process title, which gunicorn rewrites after a reload).
    """

    def __init__(self, count, command, environment, label='child process', on_check=None):
        self.count = count
        self.command = command
        self.environment = environment
        self.label = label
        self.on_check = on_check
        self.processes = []
        #: how many children died unexpectedly and were replaced, for the status page
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = None
        #: pids asked to stop by recycle(): their exit is expected
        self._recycled = set()

    def _spawn(self):
        process = subprocess.Popen(self.command(), env=self.environment(), stdin=subprocess.DEVNULL)
        _logger.info('%s %d started', self.label, process.pid)
        return process

    def start(self, *_args):
        """Start the children and the thread that keeps them running."""
        self.processes = [self._spawn() for _ in range(self.count)]
        self._thread = threading.Thread(target=self._watch, name='%s supervisor' % self.label, daemon=True)
        self._thread.start()

    def _watch(self):
        # while recycled children are on their way out, look often: their replacements should
        # start as soon as they are gone, not up to CHECK_EVERY later
        while not self._stop.wait(RECYCLE_CHECK_EVERY if self._recycled else CHECK_EVERY):
            self.check()
            if self.on_check is not None:
                self.on_check()

    def check(self):
        """Replace every child that exited; returns how many were started again."""
        restarted = 0
        for index, process in enumerate(self.processes):
            if self._stop.is_set():
                break
            # poll() also returns when another part of the master (gunicorn's waitpid(-1))
            # already reaped the child: it is gone either way.
            if process.poll() is not None:
                if process.pid in self._recycled:
                    self._recycled.discard(process.pid)
                    _logger.info('%s %d recycled: starting another', self.label, process.pid)
                else:
                    self.restarts += 1
                    _logger.warning(
                        '%s %d exited (%s): starting another', self.label, process.pid, process.returncode
                    )
                self.processes[index] = self._spawn()
                restarted += 1
        return restarted

    def recycle(self, *_args):
        """Ask every child to stop after its running work (SIGTERM); the supervisor starts fresh
        ones, which import the code now on disk. Returns how many were asked."""
        if self._stop.is_set():
            return 0
        asked = 0
        for process in list(self.processes):
            if process.poll() is None:
                self._recycled.add(process.pid)
                process.terminate()
                asked += 1
        if asked:
            _logger.info('reload: %d %s(es) replaced after their running work', asked, self.label)
        return asked

    def stop(self, *_args, grace=STOP_GRACE):
        """SIGTERM every child, wait up to ``grace`` seconds, then SIGKILL the rest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(CHECK_EVERY * 2)
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _logger.warning('%s %d did not stop within %ss: killing it', self.label, process.pid, grace)
                process.kill()
                process.wait(10)
        self.processes = []
