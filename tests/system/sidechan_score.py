#!/usr/bin/env python3
"""sidechan_score.py CONSOLE VM:PROBE=open|chance ... - the sharing side
channel, scored (the bochs-sidechan cases' after.sh).

The victim printed its secret (which of the guessed pages it holds), each
attacker its verdicts from the write probe and the read probe
(guests/attacker.c).  For each VM:PROBE named we count the trials each way
and Youden's J = P(judged shared | held) - P(judged shared | not held): 1
is a perfect attacker, 0 one whose verdicts say nothing about the secret.
With n1 and n0 trials each way, J of an attacker independent of the secret
has a standard deviation of at most sqrt(0.25 (1/n1 + 1/n0)) (0.044 for 256
each way); |J| < 0.2 is then beyond 4.5 of them: indistinguishable from
chance.

The attacker also prints each trial's time.  From them, the best attacker
of this kind in hindsight: the one threshold that separates held from not
held best, whose J is the Kolmogorov-Smirnov distance D between the two
samples of times (max over t of |P(time > t | held) - P(time > t | not
held)|).  Under independence D exceeds 1.95 sqrt((n1 + n0) / (n1 n0))
(0.17 for 256 each way) with probability 0.001 (the KS test's critical
value), so D < 0.2 says no threshold, even one chosen knowing the secret,
tells the two apart.

Asserted: at least 200 trials each way; "open": J >= 0.9 (the channel
works); "chance": |J| < 0.2 and, where times were printed, D < 0.2.
"""
import math
import re
import sys


def bits(text, vm, tag):
    rows = re.findall(r"^\[%s\] \w+: %s (\d+)-(\d+) ([01]+)$" % (re.escape(vm), re.escape(tag)),
                      text, re.M)
    out = []
    for a, b, s in rows:
        assert int(a) == len(out) and int(b) - int(a) + 1 == len(s), (vm, tag, a, b)
        out += [c == "1" for c in s]
    return out


def times(text, vm, tag):
    rows = re.findall(r"^\[%s\] \w+: %s (\d+)((?: \d+)+)$" % (re.escape(vm), re.escape(tag)), text, re.M)
    out = []
    for a, vals in rows:
        assert int(a) == len(out), (vm, tag, a)
        out += [int(x) for x in vals.split()]
    return out


def ks_distance(truth, t):
    """max over thresholds x of |P(t > x | held) - P(t > x | not held)|."""
    n1 = sum(truth)
    n0 = len(truth) - n1
    best = 0.0
    for x in sorted(set(t)):
        a = sum(1 for h, v in zip(truth, t) if h and v > x) / n1
        b = sum(1 for h, v in zip(truth, t) if not h and v > x) / n0
        best = max(best, abs(a - b))
    return best


def ks_p(d, n1, n0):
    """The asymptotic p-value of a two-sample KS distance d (Stephens' form)."""
    ne = n1 * n0 / (n1 + n0)
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * d
    if lam < 0.3:
        return 1.0
    return min(1.0, max(0.0, 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam)
                                     for k in range(1, 101))))


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else 0


def main():
    text = open(sys.argv[1]).read()
    truth = bits(text, "victim", "holds")
    n1, n0 = sum(truth), len(truth) - sum(truth)
    assert n1 >= 200 and n0 >= 200, f"trials each way: {n1} held, {n0} not (want >= 200 each)"
    sd = math.sqrt(0.25 * (1 / n1 + 1 / n0))
    print(f"secret: {len(truth)} trials, {n1} pages held, {n0} not; J's sd under independence "
          f"<= {sd:.3f}")
    fails = []
    for arg in sys.argv[2:]:
        who, expect = arg.split("=")
        vm, probe = who.split(":")
        v = bits(text, vm, f"shared({probe})")
        assert len(v) == len(truth), (vm, probe, len(v))
        tp = sum(1 for t, g in zip(truth, v) if t and g)
        fp = sum(1 for t, g in zip(truth, v) if not t and g)
        acc = sum(1 for t, g in zip(truth, v) if t == g) / len(truth)
        j = tp / n1 - fp / n0
        t = times(text, vm, f"times({probe})")
        d = None
        if t:
            assert len(t) == len(truth), (vm, probe, len(t))
            d = ks_distance(truth, t)
        ok = j >= 0.9 if expect == "open" else abs(j) < 0.2 and (d is None or d < 0.2)
        print(f"{vm:8} {probe:5} probe: accuracy {acc:6.1%}, J {j:+.3f} "
              f"(judged shared: {tp} of {n1} held, {fp} of {n0} not); expected {expect}: "
              f"{'ok' if ok else 'FAIL'}")
        if t:
            held = [v for h, v in zip(truth, t) if h]
            nope = [v for h, v in zip(truth, t) if not h]
            print(f"{'':8} {'':5}        times: held median {median(held)} (min {min(held)}, max "
                  f"{max(held)}), not held median {median(nope)} (min {min(nope)}, max {max(nope)}) "
                  f"ticks; the best threshold's J (KS distance) {d:.3f}, p {ks_p(d, n1, n0):.2f}")
        if not ok:
            fails.append(f"{vm} {probe}")
    assert not fails, fails


if __name__ == "__main__":
    main()
