r"""Hand-labelled answer-equivalence pairs: (answer, gold, equal, category).

Each label is a judgement about mathematics and the MATH conventions, written before running
either verifier; the benchmark runs math-verify on the same rows and the hand label decides
every disagreement. Categories cover every bullet of issue 2.
"""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    answer: str
    gold: str
    equal: bool
    category: str


_ROWS: list[tuple[str, str, bool, str]] = [
    # --- normalisation: display and spacing commands
    (r"\dfrac{1}{2}", r"\frac{1}{2}", True, "latex-noise"),
    (r"\tfrac{3}{4}", r"\frac34", True, "latex-noise"),
    (r"\left( 1, 2 \right)", r"(1,2)", True, "latex-noise"),
    (r"\left[ 0, 1 \right)", r"[0,1)", True, "latex-noise"),
    (r"3\!\cdot\!10", r"30", True, "latex-noise"),
    (r"\displaystyle \frac{5}{7}", r"\frac{5}{7}", True, "latex-noise"),
    (r"1\,000", r"1000", True, "latex-noise"),
    (r"$\frac{9}{2}$", r"\frac92", True, "latex-noise"),
    (r"\dfrac{1}{3}", r"\frac{1}{2}", False, "latex-noise"),
    (r"\left( 1, 3 \right)", r"(1,2)", False, "latex-noise"),
    # --- thousands separators
    (r"1,000", r"1000", True, "thousands"),
    (r"1{,}000", r"1000", True, "thousands"),
    (r"12,345,678", r"12345678", True, "thousands"),
    (r"\$1,000.50", r"1000.5", True, "thousands"),
    (r"1,001", r"1000", False, "thousands"),
    (r"10{,}000", r"1000", False, "thousands"),
    # --- units and text suffixes
    (r"5\text{ cm}", r"5", True, "units"),
    (r"5\text{ cm}^2", r"5", True, "units"),
    (r"12 \mbox{ inches}", r"12", True, "units"),
    (r"30 \text{ square feet}", r"30", True, "units"),
    (r"4 \text{ dollars}", r"4", True, "units"),
    (r"3\text{ hours}", r"3", True, "units"),
    (r"10 \text{ meters}", r"10", True, "units"),
    (r"7\text{ cm}", r"8", False, "units"),
    (r"6 \text{ inches}", r"6 \text{ feet}", True, "units"),
    (r"12\text{ ways}", r"21", False, "units"),
    # --- degrees, percent, dollars
    (r"90^\circ", r"90", True, "degrees-percent-dollars"),
    (r"90^{\circ}", r"90", True, "degrees-percent-dollars"),
    (r"45 \text{ degrees}", r"45", True, "degrees-percent-dollars"),
    (r"50\%", r"50", True, "degrees-percent-dollars"),
    (r"12.5\%", r"12.5", True, "degrees-percent-dollars"),
    (r"\$32.50", r"32.50", True, "degrees-percent-dollars"),
    (r"\$5", r"5", True, "degrees-percent-dollars"),
    (r"60^\circ", r"30", False, "degrees-percent-dollars"),
    (r"25\%", r"20", False, "degrees-percent-dollars"),
    (r"\$4.50", r"4.05", False, "degrees-percent-dollars"),
    # --- variable prefixes
    (r"x = 5", r"5", True, "prefix"),
    (r"k = \frac{1}{2}", r"\frac12", True, "prefix"),
    (r"5", r"x=5", True, "prefix"),
    (r"n=12", r"12", True, "prefix"),
    (r"y = 2x + 3", r"2x+3", True, "prefix"),
    (r"x = 4", r"5", False, "prefix"),
    (r"a = -3", r"3", False, "prefix"),
    # --- mixed numbers and fraction shorthand
    (r"4\frac{2}{3}", r"\frac{14}{3}", True, "mixed-and-shorthand"),
    (r"-4\frac{2}{3}", r"-\frac{14}{3}", True, "mixed-and-shorthand"),
    (r"2\frac{1}{2}", r"2.5", True, "mixed-and-shorthand"),
    (r"4\frac{2}{3}", r"\frac{8}{3}", False, "mixed-and-shorthand"),
    (r"\frac12", r"\frac{1}{2}", True, "mixed-and-shorthand"),
    (r"\frac1{2}", r"0.5", True, "mixed-and-shorthand"),
    (r"\frac{1}2", r"\frac{1}{2}", True, "mixed-and-shorthand"),
    (r"\sqrt2", r"\sqrt{2}", True, "mixed-and-shorthand"),
    (r"\frac12", r"\frac{1}{3}", False, "mixed-and-shorthand"),
    (r"1/2", r"\frac{1}{2}", True, "mixed-and-shorthand"),
    (r"3/4", r"\frac{4}{3}", False, "mixed-and-shorthand"),
    # --- decimals, leading point, scientific notation
    (r".5", r"\frac{1}{2}", True, "decimal-scientific"),
    (r"-.25", r"-\frac14", True, "decimal-scientific"),
    (r"0.50", r"0.5", True, "decimal-scientific"),
    (r"2.0", r"2", True, "decimal-scientific"),
    (r"1.5\times10^{3}", r"1500", True, "decimal-scientific"),
    (r"2.5 \times 10^{-2}", r"0.025", True, "decimal-scientific"),
    (r"3e5", r"300000", True, "decimal-scientific"),
    (r"1.5\times10^{4}", r"1500", False, "decimal-scientific"),
    (r"0.05", r"0.5", False, "decimal-scientific"),
    (r"2.50", r"2.05", False, "decimal-scientific"),
    # --- number words
    (r"\text{two}", r"2", True, "number-words"),
    (r"three", r"3", True, "number-words"),
    (r"\text{twelve}", r"12", True, "number-words"),
    (r"\text{zero}", r"0", True, "number-words"),
    (r"\text{two}", r"3", False, "number-words"),
    (r"\text{seven}", r"17", False, "number-words"),
    # --- exact symbolic equality
    (r"\sqrt{8}", r"2\sqrt{2}", True, "exact-symbolic"),
    (r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", True, "exact-symbolic"),
    (r"\frac{\pi}{2}", r"\frac{1}{2}\pi", True, "exact-symbolic"),
    (r"2^{10}", r"1024", True, "exact-symbolic"),
    (r"\binom{5}{2}", r"10", True, "exact-symbolic"),
    (r"5!", r"120", True, "exact-symbolic"),
    (r"(x+1)^2", r"x^2+2x+1", True, "exact-symbolic"),
    (r"\frac{x^2-1}{x-1}", r"x+1", True, "exact-symbolic"),
    (r"3+4i", r"4i+3", True, "exact-symbolic"),
    (r"\log_2 8", r"3", True, "exact-symbolic"),
    (r"\sqrt{3}+\sqrt{2}", r"\sqrt{2}+\sqrt{3}", True, "exact-symbolic"),
    (r"e^{i\pi}", r"-1", True, "exact-symbolic"),
    (r"\sqrt{8}", r"2\sqrt{3}", False, "exact-symbolic"),
    (r"\frac{\sqrt{3}}{2}", r"\frac{\sqrt{2}}{2}", False, "exact-symbolic"),
    (r"(x+1)^2", r"x^2+x+1", False, "exact-symbolic"),
    (r"3-4i", r"3+4i", False, "exact-symbolic"),
    (r"2\pi", r"\pi", False, "exact-symbolic"),
    (r"\sqrt{2}", r"1.41421356237", True, "approximation"),
    # --- decimal approximations (tolerance only against a decimal)
    (r"0.333", r"\frac{1}{3}", True, "approximation"),
    (r"3.14", r"\pi", True, "approximation"),
    (r"1.414", r"\sqrt{2}", True, "approximation"),
    (r"0.6667", r"\frac{2}{3}", True, "approximation"),
    (r"2.718", r"e", True, "approximation"),
    (r"0.3", r"\frac{1}{3}", False, "approximation"),
    (r"3.1", r"\pi", False, "approximation"),
    (r"0.3334", r"\frac{1}{3}", False, "approximation"),
    (r"1.41", r"1.414", False, "approximation"),
    (r"3.15", r"\pi", False, "approximation"),
    # --- close but not equal (exact where a float tolerance would say equal)
    (r"\frac{1}{2006!}", r"\frac{1}{2004!}", False, "close-unequal"),
    (r"\frac{1}{2^{98}}", r"\frac{1}{2^{99}}", False, "close-unequal"),
    (r"2^{-98}", r"\frac{1}{2^{98}}", True, "close-unequal"),
    (r"\frac{1}{2006!}", r"\frac{1}{2006!}", True, "close-unequal"),
    (r"10^{100}+1", r"10^{100}", False, "close-unequal"),
    (r"1+10^{-30}", r"1", False, "close-unequal"),
    (r"\frac{1000001}{1000000}", r"1", False, "close-unequal"),
    (r"2^{100}", r"1267650600228229401496703205376", True, "close-unequal"),
    # --- ordered tuples
    (r"(1,2)", r"(1, 2)", True, "tuple"),
    (r"(3, \frac{\pi}{2})", r"\left( 3, \frac{\pi}{2} \right)", True, "tuple"),
    (r"(0.5, 2)", r"(\frac12, 2)", True, "tuple"),
    (r"(2,1)", r"(1,2)", False, "tuple"),
    (r"(1,2,3)", r"(1,2)", False, "tuple"),
    (r"(1, -2)", r"(1, 2)", False, "tuple"),
    # --- intervals and unions
    (r"[1, 2)", r"[1,2)", True, "interval"),
    (r"(-\infty, 3]", r"(-\infty,3]", True, "interval"),
    (r"(2, +\infty)", r"(2,\infty)", True, "interval"),
    (r"x \in [1, 5]", r"[1,5]", True, "interval"),
    (r"x > 2", r"(2, \infty)", True, "interval"),
    (r"-1 \le x < 3", r"[-1, 3)", True, "interval"),
    (r"(-\infty, 1) \cup (2, \infty)", r"(-\infty,1)\cup(2,\infty)", True, "interval"),
    (r"(2, \infty) \cup (-\infty, 1)", r"(-\infty,1)\cup(2,\infty)", True, "interval"),
    (r"[1, 2]", r"[1,2)", False, "interval"),
    (r"(1, 2]", r"[1,2]", False, "interval"),
    (r"x \ge 2", r"(2,\infty)", False, "interval"),
    (r"(-\infty, 1] \cup (2, \infty)", r"(-\infty,1)\cup(2,\infty)", False, "interval"),
    (r"(-\infty, 1)", r"(-\infty,1)\cup(2,\infty)", False, "interval"),
    # --- unordered lists and sets of solutions
    (r"1, 2", r"2, 1", True, "set"),
    (r"\{1, 2, 3\}", r"\{3, 2, 1\}", True, "set"),
    (r"-2, 1", r"1,-2", True, "set"),
    (r"\frac{1}{2}, -3", r"-3, 0.5", True, "set"),
    (r"1 \text{ and } 2", r"1, 2", True, "set"),
    (r"\{1, 2\}", r"1, 2", True, "set"),
    (r"1, 2", r"1, 2, 3", False, "set"),
    (r"1, 2, 4", r"1, 2, 3", False, "set"),
    (r"\{1\}", r"\{1, 2\}", False, "set"),
    (r"\emptyset", r"\{1\}", False, "set"),
    # --- plus-minus
    (r"1 \pm \sqrt{2}", r"1+\sqrt{2}, 1-\sqrt{2}", True, "pm"),
    (r"\frac{-1 \pm \sqrt{5}}{2}", r"\frac{-1+\sqrt5}{2},\frac{-1-\sqrt5}{2}", True, "pm"),
    (r"\pm 3", r"3, -3", True, "pm"),
    (r"1 \pm \sqrt{2}", r"1+\sqrt{2}", False, "pm"),
    (r"\pm 3", r"3", False, "pm"),
    # --- vectors and matrices
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}", True, "matrix"),
    (
        r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        True,
        "matrix",
    ),
    (
        r"\begin{pmatrix} \frac{1}{2} \\ 0.5 \end{pmatrix}",
        r"\begin{pmatrix} 0.5 \\ \frac12 \end{pmatrix}",
        True,
        "matrix",
    ),
    (r"(1, 2, 3)", r"\begin{pmatrix} 1 \\ 2 \\ 3 \end{pmatrix}", True, "matrix"),
    (
        r"\begin{pmatrix} 2 \\ 1 \end{pmatrix}",
        r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}",
        False,
        "matrix",
    ),
    (
        r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
        r"\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}",
        False,
        "matrix",
    ),
    (
        r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}",
        r"\begin{pmatrix} 1 \\ 2 \\ 0 \end{pmatrix}",
        False,
        "matrix",
    ),
    # --- equations with the same solution set
    (r"y = 2x + 3", r"y=2x+3", True, "equation"),
    (r"2x - y + 3 = 0", r"y = 2x + 3", True, "equation"),
    (r"2y = 4x + 6", r"y = 2x + 3", True, "equation"),
    (r"x^2 + y^2 = 4", r"y^2 + x^2 = 4", True, "equation"),
    (r"4 = x^2 + y^2", r"x^2+y^2=4", True, "equation"),
    (r"y = 2x + 4", r"y = 2x + 3", False, "equation"),
    (r"x^2 + y^2 = 9", r"x^2+y^2=4", False, "equation"),
    (r"x + y = 1", r"x - y = 1", False, "equation"),
    # --- text answers and multiple-choice letters
    (r"\text{Monday}", r"\text{Monday}", True, "text-choice"),
    (r"monday", r"\text{Monday}", True, "text-choice"),
    (r"\text{even}", r"\text{Even}", True, "text-choice"),
    (r"\text{(C)}", r"C", True, "text-choice"),
    (r"(C)", r"\text{(C)}", True, "text-choice"),
    (r"C", r"(C)", True, "text-choice"),
    (r"\text{Tuesday}", r"\text{Monday}", False, "text-choice"),
    (r"\text{odd}", r"\text{even}", False, "text-choice"),
    (r"B", r"\text{(C)}", False, "text-choice"),
    (r"(A)", r"(D)", False, "text-choice"),
    # --- infinity
    (r"\infty", r"\infty", True, "infinity"),
    (r"+\infty", r"\infty", True, "infinity"),
    (r"\infty", r"-\infty", False, "infinity"),
    (r"\infty", r"1000000", False, "infinity"),
    # --- labelled values, base numerals, ratios
    (r"(5, 2)", r"p = 5, q = 2", True, "labels-bases"),
    (r"(2, 5)", r"p = 5, q = 2", False, "labels-bases"),
    (r"(5,2),(7,2)", r"p=5,q=2;p=7,q=2", True, "labels-bases"),
    (r"(p,q)=(3,2)", r"(3,2)", True, "labels-bases"),
    (r"52_8", r"52", True, "labels-bases"),
    (r"52_8", r"52_9", False, "labels-bases"),
    (r"1011_2", r"11", False, "labels-bases"),
    (r"V_1:V_2=11:21", r"11:21", True, "labels-bases"),
    (r"11:21", r"21:11", False, "labels-bases"),
    # --- hostile text stays text (never evaluated)
    (r"__import__('os').system('true')", r"0", False, "hostile"),
    (r"\text{__import__('os')}", r"1", False, "hostile"),
]

CASES: list[Case] = [Case(*row) for row in _ROWS]
