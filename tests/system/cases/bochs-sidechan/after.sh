#!/usr/bin/env bash
# after.sh CONSOLE OUTDIR - the side channel, scored.  The victim printed
# its secret (which of the guessed pages it holds), each attacker its
# verdicts from the write probe and the read probe.  For each we count
# the trials each way and Youden's J = P(judged shared | held) -
# P(judged shared | not held): 1 is a perfect attacker, 0 one whose
# verdicts say nothing about the secret.  With n1 and n0 trials each way,
# J of an attacker independent of the secret has a standard deviation of
# at most sqrt(0.25 (1/n1 + 1/n0)) (0.044 for 256 each way); |J| < 0.2 is
# then beyond 4.5 of them: indistinguishable from chance.  Asserted: at
# least 200 trials each way; spy's write probe J >= 0.9 (the channel is
# open within a sharing domain); spy's read probe and both of outsider's
# probes |J| < 0.2 (reads leak nothing here; domains close the channel).
set -eu
python3 - "$1" <<'PY'
import math, re, sys
text = open(sys.argv[1]).read()
def bits(vm, tag):
    rows = re.findall(r"^\[%s\] \w+: %s (\d+)-(\d+) ([01]+)$" % (re.escape(vm), re.escape(tag)), text, re.M)
    out = []
    for a, b, s in rows:
        assert int(a) == len(out) and int(b) - int(a) + 1 == len(s), (vm, tag, a, b)
        out += [c == "1" for c in s]
    return out
truth = bits("victim", "holds")
n1, n0 = sum(truth), len(truth) - sum(truth)
assert n1 >= 200 and n0 >= 200, f"trials each way: {n1} held, {n0} not (want >= 200 each)"
sd = math.sqrt(0.25 * (1 / n1 + 1 / n0))
print(f"secret: {len(truth)} trials, {n1} pages held, {n0} not; J's sd under independence <= {sd:.3f}")
fails = []
for vm, want_open in (("spy", True), ("outsider", False)):
    for probe in ("write", "read"):
        v = bits(vm, f"shared({probe})")
        assert len(v) == len(truth), (vm, probe, len(v))
        tp = sum(1 for t, g in zip(truth, v) if t and g)
        fp = sum(1 for t, g in zip(truth, v) if not t and g)
        acc = sum(1 for t, g in zip(truth, v) if t == g) / len(truth)
        j = tp / n1 - fp / n0
        expect = "open" if want_open and probe == "write" else "chance"
        ok = j >= 0.9 if expect == "open" else abs(j) < 0.2
        print(f"{vm:8} {probe:5} probe: accuracy {acc:6.1%}, J {j:+.3f} "
              f"(judged shared: {tp} of {n1} held, {fp} of {n0} not); expected {expect}: "
              f"{'ok' if ok else 'FAIL'}")
        if not ok:
            fails.append(f"{vm} {probe}")
assert not fails, fails
print("the channel is open within a sharing domain (write probe) and closed across domains and to reads")
PY
