#!/usr/bin/env python3
r"""tests/tools/test_console_driver.py - scripts/console_driver.py against a
fake emulator (a TCP client here), no emulator needed: the console file is
byte for byte what was received, each step fires once, in order, only on a
complete line after the previous step's match, with VT100 escapes dropped
(also when cut between two receives), commands end in a carriage return,
the log says what was sent and what never was, \xHH and \\ in a command
send that byte and one backslash (Ctrl-] ends an attach), and --check
refuses bad scripts.  Exits 1 on the first failure.
"""
import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/console_driver.py")

SCRIPT = """\
# a comment, then steps
engine ready$ => vms
# the same line again must not fire the next step: it waits for a new one
engine ready$ => again
^  vm b  => stats
=> help
x=>y => set pages_to_scan 10
^foo$ => escapes
^attached$ => \\x1d
^bytes$ => a\\\\x41 \\w\\x41
never shown => unsent
"""


def fail(msg):
    print(f"FAIL test_console_driver: {msg}")
    sys.exit(1)


def expect_sent(sock, want, what):
    """The driver sends exactly want (soon), or fail."""
    got = b""
    sock.settimeout(5)
    try:
        while len(got) < len(want):
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    if got != want:
        fail(f"{what}: driver sent {got!r}, expected {want!r}")


def expect_quiet(sock, what):
    sock.settimeout(0.5)
    try:
        got = sock.recv(4096)
        fail(f"{what}: driver sent {got!r}, expected nothing")
    except socket.timeout:
        pass


def main():
    tmp = tempfile.mkdtemp(prefix="condrv.")
    atexit.register(shutil.rmtree, tmp, True)
    script = os.path.join(tmp, "console")
    con = os.path.join(tmp, "console.txt")
    log = os.path.join(tmp, "driver.log")
    portf = os.path.join(tmp, "port")
    with open(script, "w") as f:
        f.write(SCRIPT)
    open(con, "w").close()
    p = subprocess.Popen([sys.executable, DRIVER, "--port-file", portf, "--console", con,
                          "--script", script, "--log", log, "--timeout", "30"])
    atexit.register(p.kill)  # after a failure too
    for _ in range(100):
        if os.path.exists(portf):
            break
        time.sleep(0.05)
    else:
        p.kill()
        fail("no port file")
    port = int(open(portf).read())
    s = socket.create_connection(("127.0.0.1", port))
    sent = []

    def emit(b):
        sent.append(b)
        s.sendall(b)
        time.sleep(0.05)  # separate receives on the driver's side

    emit(b"\x1b[2Jboot\r\nengine rea")
    expect_quiet(s, "half a line")
    emit(b"dy\r\n")
    expect_sent(s, b"vms\r", "step 1")
    expect_quiet(s, "step 2 on step 1's line")
    emit(b"engine ready\r\n  vm a running\r\n")
    expect_sent(s, b"again\r", "step 2")
    emit(b"  vm b running\r\n")
    expect_sent(s, b"stats\rhelp\r", "steps 3 and 4 (no regex)")
    emit(b"x=>y")
    expect_quiet(s, "a line without its newline")
    emit(b"\r\n\x1b[")
    expect_sent(s, b"set pages_to_scan 10\r", "step 5 (a regex with '=>')")
    emit(b"1;1Hfo")
    emit(b"o\r\n")
    expect_sent(s, b"escapes\r", "step 6 (an escape cut between receives)")
    emit(b"attached\r\n")
    expect_sent(s, b"\x1d\r", "step 7 (Ctrl-] as \\x1d)")
    emit(b"bytes\r\n")
    expect_sent(s, b"a\\x41 \\wA\r", "step 8 (\\\\ and a lone backslash)")
    emit(b"the end\r\n")
    expect_quiet(s, "step 9")
    s.close()
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("the driver did not end when the connection closed")
    if rc != 0:
        fail(f"driver exit status {rc}")
    if open(con, "rb").read() != b"".join(sent):
        fail("console file differs from the bytes received")
    text = open(log).read()
    for want in ("sent 'vms'", "sent 'again'", "sent 'stats'", "sent 'help'",
                 "sent 'set pages_to_scan 10'", "sent 'escapes'",
                 "sent '\\x1d'", "never sent 'unsent': line 11",
                 "the emulator closed the connection"):
        if want not in text:
            fail(f"driver.log lacks {want!r}:\n{text}")

    # --check: good scripts pass, bad ones are refused with their line.
    for body, good in ((SCRIPT, True), ("a line without an arrow\n", False),
                       ("bad( => x\n", False), ("ok =>\n", False), ("# only\n", True),
                       ("x => \\x1\n", False), ("x => \\xg0\n", False), ("x => \\\\x1\n", True)):
        with open(script, "w") as f:
            f.write(body)
        r = subprocess.run([sys.executable, DRIVER, "--check", script], capture_output=True, text=True)
        if (r.returncode == 0) != good:
            fail(f"--check on {body!r}: exit {r.returncode} {r.stderr.strip()}")

    # No emulator connecting: the driver gives up at its --timeout.
    os.unlink(portf)
    t = time.monotonic()
    r = subprocess.run([sys.executable, DRIVER, "--port-file", portf, "--console", con,
                        "--log", log, "--timeout", "1"], timeout=20)
    if r.returncode != 1 or time.monotonic() - t > 10:
        fail(f"no connection: exit {r.returncode} after {time.monotonic() - t:.1f} s")
    print("test_console_driver: all passed")


if __name__ == "__main__":
    main()
