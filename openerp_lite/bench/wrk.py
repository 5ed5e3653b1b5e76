"""The C load generator: ``wrk`` with a generated Lua script, for the simple workloads.

One wrk thread per client, one connection per thread, so it is a closed loop of ``clients``
requests like the Python generator. Each thread cycles through the same prepared bodies as the
Python generator would (see :meth:`Workload.bodies`) and counts a reply as an error by the same rule
(:func:`protocol.is_error`). The script prints one JSON line that this module reads back.
"""

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time

from . import protocol

RESULT_MARK = 'BENCH-RESULT '

LUA_TEMPLATE = r"""
local bodies = {%(bodies)s}
local path = [==[%(path)s]==]
local marker = [==[%(marker)s]==]
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  mine = bodies[((tid - 1) %% #bodies) + 1]
  position = 0
  errors = 0
  first_error = ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = [==[%(content_type)s]==]
end

function request()
  position = position %% #mine + 1
  return wrk.format(nil, path, nil, mine[position])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, marker, 1, true) then
    errors = errors + 1
    if first_error == "" then
      first_error = "HTTP " .. status .. ": " .. string.sub(body, 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local errs = 0
  local first = ""
  for _, thread in ipairs(threads) do
    errs = errs + (thread:get("errors") or 0)
    if first == "" then first = thread:get("first_error") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "errors": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "first_error": %%q}\n',
    summary.requests, summary.duration, errs, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    string.gsub(first, '[\r\n"\\]', ' ')))
end
"""


def available():
    """The path of ``wrk``, or None."""
    return shutil.which('wrk')


def _lua_string(data):
    text = data.decode('utf-8')
    if ']==]' in text:
        raise ValueError('a body contains the Lua long-string terminator')
    return '[==[%s]==]' % text


def script(workload, data, clients):
    """The Lua script for ``workload`` with ``clients`` threads."""
    per_thread = []
    path = None
    for index in range(clients):
        path, bodies = workload.bodies(data, index, clients)
        per_thread.append('{%s}' % ','.join(_lua_string(body) for body in bodies))
    return LUA_TEMPLATE % {
        'bodies': ',\n'.join(per_thread),
        'path': path,
        'mark': RESULT_MARK,
        'marker': protocol.ERROR_MARKERS[workload.protocol].decode(),
        'content_type': protocol.CONTENT_TYPES[workload.protocol],
    }


class Result:
    """What wrk measured: counts, percentiles (seconds), its CPU time."""

    def __init__(self, values, cpu_seconds):
        self.operations = values['requests'] - values['errors']
        self.errors = values['errors'] + values['socket_errors']
        self.elapsed = values['duration_us'] / 1e6
        self.percentiles = {
            50: values['p50_us'] / 1e6,
            95: values['p95_us'] / 1e6,
            99: values['p99_us'] / 1e6,
        }
        self.first_error = values['first_error'].strip() or None
        self.cpu_seconds = cpu_seconds
        self.engine = 'wrk'


def effective_seconds(seconds):
    """How long a wrk run asked for ``seconds`` lasts: wrk takes whole seconds, at least one."""
    return max(1, int(round(seconds)))


def run(host, port, workload, data, clients, seconds, on_progress=None, timeout=60):
    """Run wrk for ``seconds`` with ``clients`` connections; returns a :class:`Result`."""
    with tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False) as handle:
        handle.write(script(workload, data, clients))
        script_path = handle.name
    seconds = effective_seconds(seconds)
    cmd = [
        available() or 'wrk',
        '-t%d' % clients,
        '-c%d' % clients,
        '-d%ds' % seconds,
        '--timeout',
        '%ds' % timeout,
        '-s',
        script_path,
        'http://%s:%d' % (host, port),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - started < seconds + timeout + 10:
            if on_progress:
                on_progress(min(1.0, (time.monotonic() - started) / seconds))
            time.sleep(0.2)
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=10)
    finally:
        os.unlink(script_path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for line in out.decode('utf-8', 'replace').splitlines():
        if line.startswith(RESULT_MARK):
            return Result(json.loads(line[len(RESULT_MARK) :]), cpu)
    raise RuntimeError(
        'wrk gave no result (exit %s): %s %s'
        % (proc.returncode, out[-500:].decode('utf-8', 'replace'), err[-500:].decode('utf-8', 'replace'))
    )
