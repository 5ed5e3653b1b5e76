"""A progress bar per cell with the time left for the cell and for the whole run."""

import sys
import time


def _clock(seconds):
    seconds = max(0, int(seconds))
    return '%dm%02ds' % divmod(seconds, 60) if seconds >= 60 else '%ds' % seconds


class Progress:
    """Draws ``label [#####-----] 50% cell 3s, run ~4m10s`` on one terminal line.

    On a terminal the line is redrawn in place; elsewhere (a log file, a test) only the finished
    line of each cell is written, so logs stay readable.
    """

    WIDTH = 24

    def __init__(self, total_seconds, out=None):
        self.out = out or sys.stdout
        self.tty = hasattr(self.out, 'isatty') and self.out.isatty()
        self.total = max(1.0, float(total_seconds))
        self.spent = 0.0  # estimated seconds of the cells already finished
        self.started = time.monotonic()
        self._label = ''
        self._cell_seconds = 1.0
        self._cell_started = time.monotonic()

    def start(self, label, seconds):
        self._label = label
        self._cell_seconds = max(0.1, float(seconds))
        self._cell_started = time.monotonic()
        self.update(0.0)

    def _run_left(self, fraction):
        done = self.spent + fraction * self._cell_seconds
        elapsed = time.monotonic() - self.started
        # scale the plan by how fast the run actually goes, once there is something to go on
        rate = elapsed / done if done > 5 else 1.0
        return max(0.0, (self.total - done) * rate)

    def update(self, fraction):
        if not self.tty:
            return
        fraction = min(1.0, max(0.0, fraction))
        filled = int(round(fraction * self.WIDTH))
        cell_left = (1 - fraction) * self._cell_seconds
        line = '%-42s [%s%s] %3d%%  cell %s, run ~%s left' % (
            self._label[:42],
            '#' * filled,
            '-' * (self.WIDTH - filled),
            fraction * 100,
            _clock(cell_left),
            _clock(self._run_left(fraction)),
        )
        self.out.write('\r' + line + '\x1b[K')
        self.out.flush()

    def finish(self, summary):
        self.spent += self._cell_seconds
        prefix = '\r\x1b[K' if self.tty else ''
        self.out.write(
            '%s%-42s %s  (run ~%s left)\n' % (prefix, self._label[:42], summary, _clock(self._run_left(0.0)))
        )
        self.out.flush()

    def note(self, text):
        prefix = '\r\x1b[K' if self.tty else ''
        self.out.write(prefix + text + '\n')
        self.out.flush()
