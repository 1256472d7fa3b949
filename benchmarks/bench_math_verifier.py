"""verifiers.math against math-verify (the peer), measured in the same run.

Prints, for ours and math-verify: accuracy and checks/s on the MATH-500 reference pairs, on
model-like responses built from them, on the hand-labelled table and the 59 peer cases; the
shuffled-pairs false-positive rate; the full MATH train sweep; what strict-by-default changes
on the MATH train+test golds; hostile-input latency; worker memory. Run from the repository root:

    nice -n 10 python benchmarks/bench_math_verifier.py            # everything (~3-5 min)
    nice -n 10 python benchmarks/bench_math_verifier.py --quick    # skip the 7,500-problem sweep

Data is read from <repo root>/../shared/data (or --data).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from math_verify import parse as mv_parse
from math_verify import verify as mv_verify

from verifiers.math import PoolConfig, WorkerPool, extract_answer, grade, grade_many, is_equivalent
from verifiers.math.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]
Pair = tuple[str, str, bool]  # (response, gold, label)
T = TypeVar("T")


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def last_boxed(text: str) -> str | None:
    """The last \\boxed{...} by a plain brace count: independent of verifiers.math.extract."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    return None


def peer_check(response: str, gold: str) -> bool:
    return bool(mv_verify(mv_parse(f"${gold}$"), mv_parse(response)))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def compare(name: str, pairs: list[Pair], pool: WorkerPool, peer: bool = True) -> None:
    """Accuracy and throughput of ours (sequential and grade_many) and math-verify."""
    labels = [p[2] for p in pairs]
    seq, t_seq = timed(lambda: [grade(r, g, pool=pool).correct for r, g, _ in pairs])
    par, t_par = timed(
        lambda: [v.correct for v in grade_many([(r, g) for r, g, _ in pairs], pool=pool)]
    )
    assert seq == par, "grade and grade_many disagree"
    ours = sum(a == b for a, b in zip(seq, labels, strict=True))
    print(f"\n== {name}: {len(pairs)} pairs")
    print(f"ours        {ours}/{len(pairs)} correct | sequential {len(pairs) / t_seq:9.0f} checks/s"
          f" | grade_many(workers=2) {len(pairs) / t_par:9.0f} checks/s")  # fmt: skip
    if peer:
        theirs, t_mv = timed(lambda: [peer_check(r, g) for r, g, _ in pairs])
        ok = sum(a == b for a, b in zip(theirs, labels, strict=True))
        print(
            f"math-verify {ok}/{len(pairs)} correct | sequential {len(pairs) / t_mv:9.0f} checks/s"
        )
        print(
            f"throughput ratio ours/math-verify: sequential {t_mv / t_seq:.1f}x,"
            f" grade_many {t_mv / t_par:.1f}x"
        )


def math500_pairs(rows: list[dict]) -> list[Pair]:
    return [(r["solution"], r["answer"], True) for r in rows]


def _noisy(gold: str) -> str:
    """An equivalent rewrite a model might produce: dfrac, spacing, \\left( \\right). A comma
    in a thousands group stays tight (with a space after it, it would separate two numbers)."""
    s = re.sub(r"(?<!\{),(?!\}|\d{3}(?!\d))", ", ", gold.replace("\\frac", "\\dfrac"))
    if s.startswith("(") and s.endswith(")"):
        s = "\\left(" + s[1:-1] + "\\right)"
    return s


def _wrong(gold: str) -> str | None:
    """A wrong answer a model might produce: the last digit changed."""
    digits = [m.start() for m in re.finditer(r"\d", gold)]
    if not digits:
        return None
    i = digits[-1]
    return gold[:i] + str((int(gold[i]) + 1) % 10) + gold[i + 1 :]


def model_like_pairs(rows: list[dict], seed: int = 0) -> list[Pair]:
    rng = random.Random(seed)
    templates = [
        "We simplify step by step.\nFinal Answer: The final answer is ${}$. I hope it is correct.",
        "Putting it together, the result is $\\boxed{{{}}}$.",
        "So the answer is ${}$.",
    ]
    pairs: list[Pair] = []
    for row in rows:
        gold = row["answer"]
        pairs.append((rng.choice(templates).format(_noisy(gold)), gold, True))
        wrong = _wrong(gold)
        if wrong is not None and normalize(wrong) != normalize(gold):
            pairs.append((rng.choice(templates).format(wrong), gold, False))
    return pairs


def symbolic_pairs(rows: list[dict]) -> list[Pair]:
    """Equivalent answers in another form that only a CAS can confirm: sympy's own LaTeX of
    the gold expanded, or for a number the reciprocal of its rationalised reciprocal
    (`\\frac{\\sqrt{3}}{2}` -> `\\frac{1}{\\frac{2 \\sqrt{3}}{3}}`), plus twice the gold as a wrong answer. Exercises the worker path of both verifiers."""
    import sympy

    from verifiers.math.structure import Expr, parse
    from verifiers.math.symbolic import ParseFailure, to_sympy

    pairs: list[Pair] = []
    for row in rows:
        gold = row["answer"]
        if not isinstance(parse(gold), Expr) or re.search(r"^[-\d,/ ]+$|_|\.", gold):
            # plain numbers need no CAS; base numerals and decimals do not survive the rewrite
            continue
        try:
            value = to_sympy(normalize(gold)).doit()
        except ParseFailure:
            continue
        if not isinstance(value, sympy.Expr) or value.has(sympy.Symbol("i"), sympy.Symbol("e")):
            continue
        if value.free_symbols or value == 0:
            rewrite = sympy.latex(sympy.expand(value))
        else:  # 1 / (1/x) with 1/x rationalised by sympy: `\\frac{1}{\\frac{2 \\sqrt{3}}{3}}`
            rewrite = f"\\frac{{1}}{{{sympy.latex(sympy.radsimp(1 / value))}}}"
        if normalize(rewrite) != normalize(gold):
            pairs.append((f"So the answer is $\\boxed{{{rewrite}}}$.", gold, True))
            pairs.append((f"So the answer is $\\boxed{{{sympy.latex(2 * value)}}}$.", gold, False))
    return pairs


def shuffled(rows: list[dict], golds: list[str], n: int, seed: int = 0) -> list[tuple[int, int]]:
    """(i, j): solution i against gold j, i != j, the golds different after normalisation."""
    rng = random.Random(seed)
    out: list[tuple[int, int]] = []
    while len(out) < n:
        i, j = rng.randrange(len(rows)), rng.randrange(len(rows))
        if i != j and normalize(golds[i]) != normalize(golds[j]):
            out.append((i, j))
    return out


def false_positives(
    name: str, rows: list[dict], golds: list[str], n: int, pool: WorkerPool
) -> None:
    index = shuffled(rows, golds, n)
    pairs = [(rows[i]["solution"], golds[j]) for i, j in index]
    verdicts, seconds = timed(lambda: [v.correct for v in grade_many(pairs, pool=pool)])
    hits = [ij for ij, v in zip(index, verdicts, strict=True) if v]
    # A hit between two golds that are one value in two forms (`q = 3` and `3`) is not a false
    # positive; each is printed so that a human can check the claim.
    same = [(i, j) for i, j in hits if is_equivalent(golds[i], golds[j])]
    false = [h for h in hits if h not in same]
    print(f"\n== shuffled pairs ({name}): {len(pairs)} pairs, {len(pairs) / seconds:.0f} checks/s")
    print(f"false positives: {len(false)} (rate {len(false) / len(pairs):.4%});"
          f" {len(same)} more judged equal where the two golds are one value in two forms")  # fmt: skip
    for label, group in (("FALSE POSITIVE", false), ("same value", same)):
        for i, j in group:
            print(f"  {label}: gold {golds[i]!r} (answer {extract_answer(rows[i]['solution'])!r})"
                  f" vs other gold {golds[j]!r}")  # fmt: skip


def train_sweep(rows: list[dict], pool: WorkerPool) -> None:
    golds = [last_boxed(r["solution"]) for r in rows]
    keep = [(r, g) for r, g in zip(rows, golds, strict=True) if g is not None]
    print(f"\n== MATH train sweep: {len(rows)} solutions, {len(keep)} with a \\boxed answer")
    pairs = [(r["solution"], g) for r, g in keep]
    verdicts, seconds = timed(lambda: grade_many(pairs, pool=pool))
    misses = [(r, g, v) for (r, g), v in zip(keep, verdicts, strict=True) if not v.correct]
    print(f"solution vs its own last box: {len(keep) - len(misses)}/{len(keep)} equal,"
          f" {len(pairs) / seconds:.0f} checks/s")  # fmt: skip
    for row, gold, verdict in misses:
        print(
            f"  miss {row['unique_id']}: gold {gold!r} extracted {verdict.extracted!r} ({verdict.reason})"
        )
    variants = [(f"Final Answer: The final answer is ${_noisy(g)}$. I hope it is correct.", g)
                for _, g in keep]  # fmt: skip
    verdicts = grade_many(variants, pool=pool)
    bad = [(p, v) for p, v in zip(variants, verdicts, strict=True) if not v.correct]
    print(
        f"paper-format + dfrac/spacing/\\left rewrite vs gold: {len(keep) - len(bad)}/{len(keep)} equal"
    )
    for (_, gold), verdict in bad:
        print(f"  miss: gold {gold!r} rewritten {verdict.extracted!r} ({verdict.reason})")
    false_positives("MATH train", [r for r, _ in keep], [g for _, g in keep], len(keep), pool)


def _perturbations(gold: str, rng: random.Random) -> list[str]:
    """Value-changing edits: a digit, tuple order, interval bracket, sign, +1."""
    out = []
    digits = [m.start() for m in re.finditer(r"\d", gold)]
    if digits:
        i = rng.choice(digits)
        out.append(gold[:i] + str((int(gold[i]) + rng.randrange(1, 10)) % 10) + gold[i + 1 :])
    pair = re.fullmatch(r"\(([^(),]+),([^(),]+)\)", gold)
    if pair and normalize(pair[1]) != normalize(pair[2]):
        out.append(f"({pair[2]},{pair[1]})")
    if gold[:1] in "([":
        out.append(("(" if gold[0] == "[" else "[") + gold[1:])
    if "," not in gold and "=" not in gold:
        out += [gold + "+1"] + ([] if gold.startswith("-") else ["-" + gold])
    return [p for p in out if normalize(p) != normalize(gold)]


def perturbed_golds(data: Path, pool: WorkerPool) -> None:
    """Every MATH train+test gold against value-changing edits of itself: none may pass."""
    golds = [g for name in ("math_train.jsonl", "math_test5000.jsonl")
             for g in (last_boxed(r["solution"]) for r in load_jsonl(data / name)) if g]  # fmt: skip
    rng = random.Random(0)
    pairs = [(p, g) for g in golds for p in _perturbations(g, rng)]
    verdicts, seconds = timed(
        lambda: grade_many([(f"\\boxed{{{p}}}", g) for p, g in pairs], pool=pool)
    )
    hits = sorted({(p, g) for (p, g), v in zip(pairs, verdicts, strict=True) if v.correct})
    print(f"\n== value-changing edits of {len(golds)} MATH golds: {len(pairs)} pairs,"
          f" {len(pairs) / seconds:.0f} checks/s; judged equal: {len(hits)} distinct")  # fmt: skip
    for p, g in hits:  # each must be an edit that keeps the value (`-0` for `0`)
        print(f"  equal: {p!r} vs gold {g!r}")


def _rewrites(gold: str, rng: random.Random) -> list[str]:
    """Value-keeping edits a model might make: `x = ` prefix, a terminating fraction as a
    decimal, an improper fraction as a mixed number, a list in another order."""
    from fractions import Fraction

    from verifiers.math.structure import Collection, Equation, parse, split_top

    out, node, n = [], parse(gold), normalize(gold)
    frac = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", n)
    if frac and int(frac[3]) != 0:
        f, d = Fraction(int(frac[2]), int(frac[3])), int(frac[3])
        while d % 2 == 0 or d % 5 == 0:
            d //= 2 if d % 2 == 0 else 5
        if d == 1 and f.denominator != 1:
            out.append(frac[1] + str(float(f)))
        if f > 1 and f.denominator != 1:
            whole, rest = divmod(f.numerator, f.denominator)
            out.append(f"{frac[1]}{whole}\\frac{{{rest}}}{{{f.denominator}}}")
    if isinstance(node, Collection) and not node.union and "\\{" not in n:
        parts = split_top(n, ",")
        rng.shuffle(parts)
        out.append(", ".join(parts))  # a comma and a space: always a list
    if not isinstance(node, Equation) and "=" not in gold:
        out.append(f"x = {gold}")
    return [r for r in out if r != gold]


def rewritten_golds(data: Path, pool: WorkerPool) -> None:
    """Every MATH train+test gold against value-keeping rewrites of itself: all must pass."""
    golds = [g for name in ("math_train.jsonl", "math_test5000.jsonl")
             for g in (last_boxed(r["solution"]) for r in load_jsonl(data / name)) if g]  # fmt: skip
    rng = random.Random(0)
    pairs = [(r, g) for g in golds for r in _rewrites(g, rng)]
    responses = [f"The final answer is ${r}$. I hope it is correct." for r, _ in pairs]
    verdicts = grade_many(list(zip(responses, [g for _, g in pairs], strict=True)), pool=pool)
    misses = [(r, g, v.reason) for (r, g), v in zip(pairs, verdicts, strict=True) if not v.correct]
    print(f"\n== value-keeping rewrites of {len(golds)} MATH golds: {len(pairs) - len(misses)}"
          f"/{len(pairs)} judged equal")  # fmt: skip
    for r, g, reason in misses:
        print(f"  miss: {r!r} vs gold {g!r} ({reason})")


def hand_tables(data: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "math_cases", ROOT / "tests/verifiers/math_cases.py"
    )
    assert spec and spec.loader
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    rows = [(c.answer, c.gold, c.equal) for c in cases.CASES]
    ours = [is_equivalent(a, g) for a, g, _ in rows]
    theirs = [bool(mv_verify(mv_parse(f"${g}$"), mv_parse(f"${a}$"))) for a, g, _ in rows]
    print(f"\n== hand-labelled table: {len(rows)} pairs (hand label decides)")
    print(f"ours {sum(o == r[2] for o, r in zip(ours, rows, strict=True))}/{len(rows)}"
          f" | math-verify {sum(t == r[2] for t, r in zip(theirs, rows, strict=True))}/{len(rows)}")  # fmt: skip
    for (a, g, label), o, t in zip(rows, ours, theirs, strict=True):
        if o != label or t != label:
            print(f"  label {label!s:5} ours {o!s:5} math-verify {t!s:5}: {a!r} vs {g!r}")
    peer = load_jsonl(data / "peer/math_verify_model_outputs.jsonl")
    # Equivalence only: an unmarked response is taken whole (math-verify's own policy).
    ours = [is_equivalent(extract_answer(c["response"]) or c["response"].strip("$ \n"), c["gold"])
            for c in peer]  # fmt: skip
    theirs = [bool(mv_verify(mv_parse(f"${c['gold']}$"), mv_parse(c["response"]))) for c in peer]
    print("\n== math-verify's 59 peer cases (labels agreed by hand)")
    print(f"ours {sum(o == c['equal'] for o, c in zip(ours, peer, strict=True))}/{len(peer)}"
          f" | math-verify {sum(t == c['equal'] for t, c in zip(theirs, peer, strict=True))}/{len(peer)}")  # fmt: skip


def _all_golds(data: Path) -> list[str]:
    return [g for name in ("math_train.jsonl", "math_test5000.jsonl")
            for g in (last_boxed(r["solution"]) for r in load_jsonl(data / name)) if g]  # fmt: skip


def _rounded(gold: str) -> str | None:
    """The gold's value as a decimal with 6 significant digits, when it is a real closed form
    between 1e-3 and 1e6 that our in-process evaluator reads (None otherwise)."""
    from verifiers.math.evaluate import Unsupported, approx, places, read, variables

    tree = read(normalize(gold))
    if tree is None or variables(tree) or places(tree) is not None:
        return None
    try:
        value = approx(tree)
    except (Unsupported, ValueError, ZeroDivisionError, OverflowError):
        return None
    if getattr(value, "imag", 0) != 0 or not 1e-3 <= abs(value) < 1e6:
        return None
    digits = 6 - (int(math.floor(math.log10(abs(float(value))))) + 1)
    return f"{float(value):.{digits}f}" if digits > 0 else None


def strictness_change(data: Path, pool: WorkerPool) -> None:
    """What strict-by-default changes on MATH's own golds (train 7,500 + test 5,000): golds where
    a correctly rounded decimal answer was accepted and now is not, golds whose `, ` now means a
    list, and what `approximate=True` still accepts."""
    golds = _all_golds(data)
    decimal_golds = [g for g in golds if re.fullmatch(r"-?\d*\.\d+", normalize(g))]
    rounded = [(g, d) for g in golds if (d := _rounded(g)) is not None]
    responses = [(f"\\boxed{{{d}}}", g) for g, d in rounded]
    strict = grade_many(responses, pool=pool)
    lenient = grade_many(responses, pool=pool, approximate=True)
    refused = [(g, d) for (g, d), s, a in zip(rounded, strict, lenient, strict=True)
               if a.correct and not s.correct]  # fmt: skip
    still = sum(s.correct for s in strict)
    print(f"\n== strict by default, on {len(golds)} MATH train+test golds")
    print(f"decimal golds (rounding rule unchanged): {len(decimal_golds)}")
    print(f"golds with a real closed-form value: {len(rounded)}; a 6-significant-digit decimal"
          f" answer is accepted for {still} (the decimal is the exact value), refused for"
          f" {len(refused)} that approximate=True accepts (the golds affected), refused by both"
          f" for {len(rounded) - still - len(refused)}")  # fmt: skip
    for g, d in refused[:8]:
        print(f"  refused now: {d} for gold {g!r}")
    spaced = [g for g in golds if re.search(r"\d,\s+\d{3}(?!\d)", g)]
    merged = [g for g in spaced if re.fullmatch(r"(?:.*=\s*)?-?\d{1,3}(?:,\s*\d{3})+", g)]
    tight = [g for g in golds if re.fullmatch(r"(?:.*=\s*)?-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", g)]
    print(f"golds with ', ' before three digits: {len(spaced)}; of them read as one number before"
          f" and as a list now: {len(merged)} {merged[:6]}")  # fmt: skip
    print(f"golds in tight thousands groups (`32,349`), still one number: {len(tight)}")
    pairs = [(f"\\boxed{{{g.replace(',', '')}}}", g) for g in tight]
    kept = sum(v.correct for v in grade_many(pairs, pool=pool))
    print(f"  their comma-free value judged equal: {kept}/{len(tight)}")


HOSTILE = {
    "tower 9^9^9^9": r"9^{9^{9^{9}}}",
    "tower 9^9^9^9 - 1": r"9^{9^{9^{9}}}-1",
    "2^(2^40)": r"2^{2^{40}}",
    "300 nested parens": "(" * 300 + "1" + ")" * 300,
    "20,000-char sum": "1+" * 10_000 + "1",
    "huge factorial": r"(10^{10})!",
    "sum to 10^12": r"\sum_{n=1}^{10^{12}} n^{n}",
    "python payload": "__import__('os').system('true')",
}


def hostile(pool: WorkerPool, peer: bool) -> None:
    print("\n== hostile inputs (timeout 1 s): latency per check")
    worst = 0.0
    for name, answer in HOSTILE.items():
        start = time.perf_counter()
        verdict = grade(rf"\boxed{{{answer}}}", "2", pool=pool)
        ours = time.perf_counter() - start
        worst = max(worst, ours)
        line = f"  {name:20} ours {ours:6.3f} s ({verdict.reason})"
        if peer and name in ("tower 9^9^9^9 - 1", "300 nested parens"):
            start = time.perf_counter()
            peer_check(rf"\boxed{{{answer}}}", "2")
            line += f" | math-verify {time.perf_counter() - start:6.3f} s"
        print(line)
    print(f"worst case ours: {worst:.3f} s per check; workers killed and replaced: {pool.killed}")


def worker_memory(pool: WorkerPool) -> None:
    peaks = []
    for worker in pool._all:
        status = Path(f"/proc/{worker.proc.pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024)  # type: ignore[index]
    print(
        f"\n== worker memory: peak RSS {max(peaks):.0f} MiB, cap {pool.config.memory_mb} MiB each"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="skip the MATH train sweep")
    args = parser.parse_args()
    pool = WorkerPool(PoolConfig(max_workers=2))
    pool.warm_up(2)
    math500 = load_jsonl(args.data / "math500_test.jsonl")
    compare("MATH-500 reference solution vs gold", math500_pairs(math500), pool)
    compare("model-like responses from MATH-500 golds", model_like_pairs(math500), pool)
    compare("CAS rewrites of MATH-500 golds (worker path)", symbolic_pairs(math500), pool)
    false_positives("MATH-500", math500, [r["answer"] for r in math500], 3 * len(math500), pool)
    hand_tables(args.data)
    if not args.quick:
        train_sweep(load_jsonl(args.data / "math_train.jsonl"), pool)
        perturbed_golds(args.data, pool)
        rewritten_golds(args.data, pool)
        strictness_change(args.data, pool)
    hostile(pool, peer=True)
    worker_memory(pool)
    pool.close()


if __name__ == "__main__":
    main()
