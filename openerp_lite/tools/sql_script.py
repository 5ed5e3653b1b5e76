"""Running a plain-format SQL dump (``pg_dump --format=plain``) into a database, without psql.

Why not ``psql -f``: psql obeys the backslash commands of the file it reads, and ``\\!`` runs a
shell command as the server's system user. A dump reaches ``db.restore`` over the wire, so with
psql a file uploaded by anyone holding the master password would become a shell on the machine.
Spotting those commands reliably in front of psql cannot be done: psql lexes the file in the
client encoding, which the file itself can switch (``set_config('client_encoding', ...)``), and
then a byte that is a backslash to one reader is the second half of a character to the other.

So the file is run here, over one connection: its SQL goes to the server as it is, its COPY data
through the COPY protocol, and nothing in it is ever interpreted on this side. The lexer below only
has to find where each ``COPY ... FROM stdin`` statement ends, because its data follows on the next
lines up to a line ``\\.``. When the lexer misreads a file, the server gets a broken statement and
the restore fails: a misreading can never make anything run that was not sent as SQL.

Backslash commands: ``\\restrict KEY`` and ``\\unrestrict KEY``, which recent pg_dump versions
write around a dump (they only tell psql to refuse the other commands), are skipped; any other
one refuses the file, naming its line.

What the SQL itself does runs with the server's database role, exactly as the SQL inside a
custom-format dump does under ``pg_restore``: restoring is for whoever may administer the cluster.
"""

import re

import psycopg2

from ..exceptions import UserError

#: SQL sent in one round trip at most (split at a statement boundary): bounds the memory a
#: dump written as INSERT statements needs
FLUSH_BYTES = 1 << 20
#: one statement larger than this is refused: no pg_dump output comes near it, and it would
#: have to be held whole in memory
MAX_STATEMENT_BYTES = 256 << 20
#: bytes handed to the COPY protocol per read
COPY_CHUNK = 1 << 16

_TOKEN = re.compile(
    rb"""
    (?P<word>[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)
  | (?P<dollar>\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$)
  | (?P<number>\$?[0-9]+)
  | (?P<quote>['"])
  | (?P<comment>--|/\*)
  | (?P<semi>;)
  | (?P<paren>[()])
  | (?P<backslash>\\)
""",
    re.X,
)
_E_STRING_STOP = re.compile(rb"[\\']")
_COMMENT_MARK = re.compile(rb'/\*|\*/')
_RESTRICT = re.compile(rb'^\s*\\(?:un)?restrict\s+\S+\s*$')
_COPY_END = (b'\\.\n', b'\\.\r\n', b'\\.')


class _MetaCommand(Exception):
    """A backslash outside any literal: a psql command."""


class Lexer:
    """Just enough of PostgreSQL's lexer to split a script into statements: literals ('...',
    E'...', "...", dollar quotes), comments and parentheses, fed one line at a time. It also
    notes whether a statement is ``COPY ... FROM STDIN``."""

    def __init__(self):
        self.state = None  # None (SQL), "'", 'E', '"', '$' (dollar quote), '*' (comment)
        self.tag = b''  # the delimiter of the open dollar quote
        self.depth = 0  # nesting of the open block comment
        self.escaped = False  # in an E'' literal, a backslash ended the previous line
        self.parens = 0
        self._reset_statement()

    def _reset_statement(self):
        self.blank = True  # nothing but blanks and comments since the last statement
        self.first = None  # the first word of the statement, upper-cased
        self.previous = None  # the previous word when it came directly before
        self.copy_in = False

    def _word(self, word):
        if self.blank:
            self.first = word
        self.blank = False
        if self.first == b'COPY' and word == b'STDIN' and self.previous == b'FROM':
            self.copy_in = True
        self.previous = word

    def _token(self):
        self.blank = False
        self.previous = None

    def feed(self, line):
        """``[(offset just past the ';', statement was blank, statement is COPY FROM STDIN)]``
        for the statements ending in ``line``; raises _MetaCommand at a psql command."""
        ends = []
        pos, size = 0, len(line)
        while 0 <= pos < size:
            state = self.state
            if state is None:
                pos = self._scan_code(line, pos, ends)
            elif state == 'E':
                pos = self._scan_escape_string(line, pos)
            elif state in ("'", '"'):
                pos = self._scan_quoted(line, pos, state.encode())
            elif state == '$':
                pos = self._scan_dollar_quoted(line, pos)
            else:
                pos = self._scan_block_comment(line, pos)
        return ends

    # Each scanner goes on from ``pos`` in its state and returns where to go on, or -1 when the
    # rest of the line stays in that state.

    def _scan_code(self, line, pos, ends):
        match = _TOKEN.search(line, pos)
        if match is None:
            return -1
        kind, text, pos = match.lastgroup, match.group(), match.end()
        if kind == 'word':
            return self._scan_word(line, pos, text.upper())
        if kind == 'comment':
            if text == b'--':
                return -1
            self.state, self.depth = '*', 1
        elif kind == 'semi' and not self.parens:
            ends.append((pos, self.blank, self.copy_in))
            self._reset_statement()
        elif kind == 'backslash':
            raise _MetaCommand(match.start())
        else:
            self._token()
            if kind == 'dollar':
                self.state, self.tag = '$', text
            elif kind == 'quote':
                self.state = text.decode()
            elif kind == 'paren':
                self.parens = self.parens + 1 if text == b'(' else max(0, self.parens - 1)
        return pos

    def _scan_word(self, line, pos, upper):
        if upper == b'E' and line[pos : pos + 1] == b"'":
            self._token()
            self.state = 'E'
            return pos + 1
        if upper == b'U' and line[pos : pos + 2] == b"&'":
            self._token()
            self.state = "'"
            return pos + 2
        self._word(upper)
        return pos

    def _scan_escape_string(self, line, pos):
        if self.escaped:
            self.escaped = False
            return pos + 1
        match = _E_STRING_STOP.search(line, pos)
        if match is None:
            return -1
        at = match.start()
        if match.group() == b'\\':
            if at + 1 < len(line):
                return at + 2
            self.escaped = True
            return -1
        if line[at + 1 : at + 2] == b"'":
            return at + 2
        self.state = None
        return at + 1

    def _scan_quoted(self, line, pos, mark):
        at = line.find(mark, pos)
        if at < 0:
            return -1
        if line[at + 1 : at + 2] == mark:
            return at + 2
        self.state = None
        return at + 1

    def _scan_dollar_quoted(self, line, pos):
        at = line.find(self.tag, pos)
        if at < 0:
            return -1
        self.state = None
        return at + len(self.tag)

    def _scan_block_comment(self, line, pos):
        """Block comments nest, as PostgreSQL nests them."""
        match = _COMMENT_MARK.search(line, pos)
        if match is None:
            return -1
        self.depth += 1 if match.group() == b'/*' else -1
        if not self.depth:
            self.state = None
        return match.end()


class _Lines:
    """The lines of ``stream`` with a count, for error messages."""

    def __init__(self, stream):
        self._stream = stream
        self.number = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = self._stream.readline()
        if not line:
            raise StopIteration
        self.number += 1
        return line


class _CopyData:
    """The data lines of one COPY, read from the script up to its ``\\.`` line (or the end)."""

    def __init__(self, lines):
        self._lines = lines
        self._buffer = b''
        self._done = False

    def read(self, size=-1):
        size = COPY_CHUNK if size is None or size < 0 else size
        parts, length = [self._buffer], len(self._buffer)
        while not self._done and length < size:
            line = next(self._lines, None)
            if line is None or line in _COPY_END:
                self._done = True
                break
            parts.append(line)
            length += len(line)
        data = b''.join(parts)
        self._buffer = data[size:]
        return data[:size]

    def readline(self, size=-1):
        return self.read(size)


def run(conn, stream):
    """Run the plain SQL dump ``stream`` (a binary file) on ``conn`` (autocommit), statement by
    statement in batches, COPY data through the COPY protocol. A psql command other than
    ``\\restrict``/``\\unrestrict``, a statement the server refuses or an oversized statement
    stops it with a UserError naming the line; what ran before stays (the caller drops the
    database). Returns the number of lines read."""
    return _ScriptRun(conn, stream).run()


class _ScriptRun:
    """One dump being run: the statements read but not sent yet (``pending``), where the current
    one begins in it (``start``) and whether it holds a complete, non-blank one (``batch``)."""

    def __init__(self, conn, stream):
        self.lexer, self.lines = Lexer(), _Lines(stream)
        self.cr = conn.cursor()
        self._restart()

    def _restart(self):
        self.pending, self.start, self.batch = bytearray(), 0, False

    def run(self):
        for line in self.lines:
            if not self._psql_line(line):
                self._feed(line)
        if self.batch or not self.lexer.blank:
            self._send(self.pending)
        self.cr.close()
        return self.lines.number

    def _psql_line(self, line):
        """True for a ``\\restrict`` line, skipped; a UserError for any other psql command
        line; False for a line of SQL or data."""
        lexer = self.lexer
        if lexer.state is None and lexer.blank and line.lstrip()[:1] == b'\\':
            if _RESTRICT.match(line):
                return True
            raise _meta_refused(self.lines.number, line)
        return False

    def _feed(self, line):
        base = len(self.pending)
        self.pending += line
        try:
            ends = self.lexer.feed(line)
        except _MetaCommand as meta:
            raise _meta_refused(self.lines.number, line[meta.args[0] :]) from None
        for end, blank, copy_in in ends:
            if copy_in:
                self._copy(line, base, end)
                return
            self.batch = self.batch or not blank
            self.start = base + end
        if self.lexer.blank and self.lexer.state is None and len(self.pending) >= FLUSH_BYTES:
            if self.batch:
                self._send(self.pending)
            self._restart()
        elif len(self.pending) - self.start > MAX_STATEMENT_BYTES:
            raise UserError(
                'Line %d of the dump: a statement longer than %d MiB is refused.'
                % (self.lines.number, MAX_STATEMENT_BYTES >> 20)
            )

    def _copy(self, line, base, end):
        """Send what is pending, then the COPY ending at ``base + end`` with its data lines."""
        if line[end:].strip():
            raise UserError(
                'Line %d of the dump: a COPY ... FROM stdin must end its '
                'line (its data follows on the next lines).' % self.lines.number
            )
        if self.batch:
            self._send(self.pending[: self.start])
        try:
            self.cr.copy_expert(
                bytes(self.pending[self.start : base + end]), _CopyData(self.lines), COPY_CHUNK
            )
        except psycopg2.Error as error:
            raise _refused(self.lines.number, error) from None
        self._restart()

    def _send(self, sql):
        try:
            self.cr.execute(bytes(sql))
        except psycopg2.Error as error:
            raise _refused(self.lines.number, error) from None


def _meta_refused(number, text):
    shown = text.strip()[:60].decode('utf-8', 'replace')
    return UserError(
        'Line %d of the dump holds the psql command %r: only SQL and COPY data are '
        'restored, no psql command is run.' % (number, shown)
    )


def _refused(number, error):
    message = (getattr(error, 'pgerror', None) or str(error)).strip()
    return UserError(
        'The dump was refused by the database at line %d: %s'
        % (number, message.splitlines()[0] if message else type(error).__name__)
    )
