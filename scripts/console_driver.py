#!/usr/bin/env python3
r"""scripts/console_driver.py - the emulated machine's COM1, as a TCP server,
so that tests (and `make run` under Bochs) can type on the hypervisor's
operator console (control/console.c).

  console_driver.py --port-file F --console C [--script S] [--log L]
                    [--interactive] [--timeout SECS]
  console_driver.py --check S          parse a script, exit 0 if it is good

It listens on 127.0.0.1 on a free port (port 0), writes the port number to
F (written whole, then renamed into place) and accepts one connection: the
emulator's serial line (Bochs: com1 mode=socket-client; QEMU: -chardev
socket).  Every byte received is appended to C unchanged, as the emulator's
file mode would write it.  It exits when the emulator closes the
connection, when no emulator connects within SECS, or after SECS in all
(--timeout; 0: no limit); scripts/emu.sh kills it as well when the run
ends, so it never holds a test beyond the emulator's own time limit.

A script (--script) is a list of steps, one a line; '#' lines and blank
lines are ignored, leading and trailing blanks dropped:

    WHEN-REGEX => COMMAND

The steps run in order.  A step waits until the console text (VT100
escapes and carriage returns dropped, as run.sh reads it) shows a match of
WHEN-REGEX (a Python regular expression, the same as ERE for the usual
constructs) in a complete line (one ended by its newline; ^ and $ match at
each line's ends), starting after the end of the previous step's match,
and then sends COMMAND and a carriage return.  In COMMAND, \xHH sends the
byte HH (\x1d is Ctrl-], which ends the hypervisor console's `attach`)
and \\ one backslash; any other backslash is sent as it is.  An empty
WHEN-REGEX matches at once (right after the previous step).  The split is
at the last "=>", so the regex may hold one, the command may not.  What was sent, and when, goes to
the log (L), one line each, never to the console file; so do the steps
never reached.

--interactive (make run): received bytes also go to stdout, and each line
read on stdin is sent to the serial line (with a carriage return), as it
was typed: Ctrl-] then Enter ends an `attach`.
"""
import argparse
import os
import re
import select
import socket
import sys
import time

ESC_RE = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")
# An escape sequence cut by the end of what has arrived so far.
ESC_PARTIAL_RE = re.compile(rb"\x1b(\[[0-9;?]*)?\Z")


ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{2}|\\)")


def command_bytes(cmd):
    r"""COMMAND as sent, without its carriage return: \xHH and \\ decoded."""
    out, at = b"", 0
    for m in ESCAPE_RE.finditer(cmd):
        out += cmd[at:m.start()].encode()
        out += b"\\" if m.group(1) == "\\" else bytes([int(m.group(1)[1:], 16)])
        at = m.end()
    return out + cmd[at:].encode()


def parse_script(path):
    """The steps of a script: a list of (line number, regex text, compiled, command)."""
    steps = []
    with open(path, encoding="utf-8") as f:
        for num, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if "=>" not in line:
                raise ValueError(f"{path}:{num}: no '=>' (WHEN-REGEX => COMMAND): {line}")
            when, cmd = line.rsplit("=>", 1)
            when, cmd = when.strip(), cmd.strip()
            if not cmd:
                raise ValueError(f"{path}:{num}: no command after '=>'")
            if re.search(r"\\x(?![0-9A-Fa-f]{2})", ESCAPE_RE.sub("", cmd)):
                raise ValueError(f"{path}:{num}: \\x without two hex digits in '{cmd}'")
            try:
                rx = re.compile(when, re.MULTILINE)
            except re.error as e:
                raise ValueError(f"{path}:{num}: bad regex /{when}/: {e}") from None
            steps.append((num, when, rx, cmd))
    return steps


class Log:
    """driver.log: one timestamped line per event."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None
        self.t0 = time.monotonic()

    def __call__(self, msg):
        if self.f:
            self.f.write(f"[{time.monotonic() - self.t0:7.1f} s] {msg}\n")
            self.f.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port-file")
    ap.add_argument("--console")
    ap.add_argument("--script")
    ap.add_argument("--log")
    ap.add_argument("--interactive", action="store_true")
    ap.add_argument("--timeout", type=float, default=0)
    ap.add_argument("--check", metavar="SCRIPT")
    a = ap.parse_args()

    if a.check:
        try:
            parse_script(a.check)
        except (OSError, ValueError) as e:
            print(f"console_driver: {e}", file=sys.stderr)
            return 2
        return 0
    if not a.port_file or not a.console:
        ap.error("--port-file and --console are needed")
    try:
        steps = parse_script(a.script) if a.script else []
    except (OSError, ValueError) as e:
        print(f"console_driver: {e}", file=sys.stderr)
        return 2

    log = Log(a.log)
    deadline = time.monotonic() + a.timeout if a.timeout > 0 else None
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, a.port_file)
    log(f"listening on 127.0.0.1:{port}; {len(steps)} script steps")

    srv.settimeout(a.timeout if a.timeout > 0 else None)
    try:
        conn, peer = srv.accept()
    except socket.timeout:
        log("no emulator connected in time")
        return 1
    srv.close()
    log(f"emulator connected from {peer[0]}:{peer[1]}")

    con = open(a.console, "ab", buffering=0)
    text = ""        # the console, escapes and \r dropped, for the steps
    held = b""       # an escape sequence cut by the end of a recv
    pos = 0          # where the next step's search starts
    seen = 0         # how far (whole lines) the waiting step has searched
    step = 0
    stdin_open = a.interactive
    typed = ""       # what was typed, up to its newline
    out = sys.stdout.buffer if a.interactive else None

    def send(cmd, why, raw=None):
        conn.sendall((command_bytes(cmd) if raw is None else raw) + b"\r")
        log(f"sent '{cmd}' ({why})")

    def run_steps():
        nonlocal pos, step, seen
        end = text.rfind("\n") + 1  # complete lines only
        while step < len(steps):
            num, when, rx, cmd = steps[step]
            m = rx.search(text, max(pos, seen), end) if when else None
            if when and not m:
                seen = end
                return
            if m:
                pos = m.end()
            step += 1
            seen = 0
            send(cmd, f"step {step}, line {num}: " +
                 (f"/{when}/ matched '{m.group(0)[:60]}'" if m else "no regex"))

    try:
        run_steps()  # steps with an empty regex
        while True:
            wait = None
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    log(f"time limit of {a.timeout:g} s reached")
                    break
            fds = [conn] + ([sys.stdin] if stdin_open else [])
            ready, _, _ = select.select(fds, [], [], wait)
            if conn in ready:
                data = conn.recv(4096)
                if not data:
                    log("the emulator closed the connection")
                    break
                con.write(data)
                if out:
                    out.write(data)
                    out.flush()
                data = held + data
                cut = ESC_PARTIAL_RE.search(data)
                held, data = (data[cut.start():], data[:cut.start()]) if cut else (b"", data)
                text += ESC_RE.sub(b"", data).replace(b"\r", b"").decode("latin-1")
                run_steps()
            if stdin_open and sys.stdin in ready:
                data = os.read(sys.stdin.fileno(), 4096)
                if not data:
                    stdin_open = False
                typed += data.decode("utf-8", "replace")
                while "\n" in typed:
                    line, typed = typed.split("\n", 1)
                    line = line.rstrip("\r")
                    send(line, "typed", line.encode())  # as typed: Ctrl-] is its byte
    except KeyboardInterrupt:
        log("interrupted")
    except OSError as e:
        log(f"connection error: {e}")
    for num, when, _, cmd in steps[step:]:
        log(f"never sent '{cmd}': line {num}: /{when}/ not seen")
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
