"""String normalisation by the MATH conventions (Hendrycks et al. 2021), before any parsing.

Everything a grader should ignore is removed here, with plain string operations that are linear
in the input and safe to run in the caller's process: display wrappers (`$`, `\\left`,
`\\displaystyle`), spacing commands, `\\dfrac`/`\\tfrac`, thousands separators, units and
`\\text{}` suffixes, degrees, percent and dollar signs, `\\frac12` shorthand, `.5`, number words.
Thousands separators are read only where no space follows the comma: `1,000,000`, `32{,}349` and
`10,\\!080` are one number, `32, 349` is the list of 32 and 349.
Most MATH answers are then equal as strings, which is the verifier's fast path.

Not done here (kept for the structure and number layers): `x =` prefixes, mixed numbers, `\\pm`.

>>> normalize(r"\\$1{,}000.50")
'1000.50'
>>> normalize(r"\\left( \\dfrac12, 3 \\right)")
'(\\\\frac{1}{2},3)'
>>> normalize(r"90^\\circ")
'90'
>>> normalize(r"\\text{two}")
'2'
"""

from __future__ import annotations

import re

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u221e": "\\infty ", "\u2264": "\\leq ", "\u2265": "\\geq ",
    "\u2260": "\\neq ", "\u03c0": "\\pi ", "\u221a": "\\sqrt", "\u00d7": "\\times ",
    "\u00b7": "\\cdot ", "\u00b0": "^\\circ", "\u222a": "\\cup ", "\u00b1": "\\pm ",
}  # fmt: skip
_TEXT_COMMANDS = (
    r"\\(?:text|textbf|textit|textrm|texttt|mbox|mathrm|mathbf|mathit|boldsymbol|bf|rm|it)"
)
_TEXT_GROUP = re.compile(_TEXT_COMMANDS + r"\s*\{")
_SPACING = re.compile(r"(?<!\\)\\[!,;:> ]|\\q?quad|~|\\displaystyle|\\limits|\\nolimits")
_SIZING = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg)(?![A-Za-z])\.?"
)
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree|\^\s*\{\s*\}")
_SHORT_FRAC = re.compile(r"\\frac\s*(\d|\{[^{}]*\})\s*(\d|\{[^{}]*\})")
_SHORT_SQRT = re.compile(r"\\sqrt\s*(\d+|[a-zA-Z])")
_KEEP_SPACE = re.compile(r"(\\[A-Za-z]+|[_^]\d)\s+(?=[A-Za-z0-9])")
_LEADING_POINT = re.compile(r"(?<![\d}])\.(\d)")
THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# A whole answer, or the value after a label (`x = 112,875`), written with thousands separators.
# Only here, before whitespace goes: `32, 349` (a comma and a space) is a list of two numbers.
# `10,\\!080`: a comma glued to the next group by a negative space is a thousands separator.
_GLUED_THOUSANDS = re.compile(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))")
_WHOLE_THOUSANDS = re.compile(r"(^|=)(\s*)(" + THOUSANDS.pattern + r")$")
_UNIT_WORDS = frozenset(
    """units unit square sq cubic cm mm km m meter meters metre metres centimeter centimeters
    inch inches in ft foot feet yard yards mile miles mph kg g gram grams pound pounds lb lbs
    ounce ounces oz cent cents dollar dollars hour hours hr hrs minute minutes min second seconds
    sec day days week weeks month months year years degree degrees deg liter liters ml gallon
    gallons people students books marbles apples cups cup times ways""".split()
)  # fmt: skip
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen
        fourteen fifteen sixteen seventeen eighteen nineteen twenty""".split()
    )
}
_CONJUNCTIONS = frozenset({"and", "or", ","})


def _group_end(s: str, open_at: int) -> int:
    """Index just past the brace closing `s[open_at]`, or len(s) when it is unbalanced."""
    depth = 0
    for i in range(open_at, len(s)):
        if s[i] == "{" and (i == 0 or s[i - 1] != "\\"):
            depth += 1
        elif s[i] == "}" and (i == 0 or s[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return i + 1
    return len(s)


def _is_unit(words: str) -> bool:
    tokens = re.findall(r"[A-Za-z]+", words)
    return bool(tokens) and all(t.lower() in _UNIT_WORDS or len(t) > 2 for t in tokens)


def _unwrap_text(s: str) -> str:
    """Replace `\\text{...}`-like groups by their content; drop unit groups after math."""
    out: list[str] = []
    pos = 0
    for _ in range(len(s)):  # bounded: every pass consumes one group
        match = _TEXT_GROUP.search(s, pos)
        if match is None:
            break
        end = _group_end(s, match.end() - 1)
        content = s[match.end() : end - 1]
        before = "".join(out) + s[pos : match.start()]
        stripped = content.strip()
        if stripped.lower() in _CONJUNCTIONS:
            content = ","
        elif re.search(r"[\d)}\]]\s*$", before) and _is_unit(stripped):
            content = ""  # `5\text{ cm}`: a unit after a number
            end = _skip_unit_power(s, end)
        out.append(s[pos : match.start()] + content)
        pos = end
    out.append(s[pos:])
    return "".join(out)


def _skip_unit_power(s: str, end: int) -> int:
    """Skip `^2` / `^{3}` after a removed unit (`\\text{ cm}^2`)."""
    power = re.match(r"\s*\^\s*(?:\d|\{\s*\d\s*\})", s[end:])
    return end + power.end() if power else end


def _strip_wrappers(s: str) -> str:
    s = s.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            s = s[len(left) : len(s) - len(right)].strip()
    return s.rstrip(".").strip()


def _drop_trailing_units(s: str) -> str:
    """`12 inches` -> `12`, `3 square feet` -> `3`: known unit words after a number.

    Scanned by hand from the right: a regex such as `(?:[A-Za-z]+\\s*)+$` backtracks
    exponentially on `1 aaaa...a!`, and this runs in the caller's process."""
    i = len(s)
    while i > 0 and (s[i - 1].isascii() and (s[i - 1].isalpha() or s[i - 1].isspace())):
        i -= 1
    words = s[i:].split()
    head = s[:i].rstrip()
    if words and head[-1:] in set("0123456789}") and all(w.lower() in _UNIT_WORDS for w in words):
        return head
    return s


def normalize_spaced(answer: str) -> str:
    """All normalisations except removing whitespace (text answers need their spaces)."""
    s = _strip_wrappers(answer)
    for char, repl in _UNICODE.items():
        s = s.replace(char, repl)
    s = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", s)
    s = _SIZING.sub("", s)
    s = _GLUED_THOUSANDS.sub("", s)
    s = _SPACING.sub(" ", s)
    s = s.replace("\\lbrace", "\\{").replace("\\rbrace", "\\}")
    s = re.sub(r"\\(le|ge)(?:qslant)?(?![A-Za-z])", r"\\\1q", s)
    s = re.sub(r"\\ne(?![A-Za-z])", r"\\neq", s)
    s = _DEGREES.sub("", s)
    s = s.replace("\\%", "").replace("%", "").replace("\\$", "").replace("$", "")
    s = s.replace("{,}", "")
    s = s.split("\\approx")[0]  # `\\frac23 \\approx 0.67`: the exact value is the answer
    s = _unwrap_text(s)
    s = re.sub(r"\s*(?:degrees?|dollars?)\s*$", "", s)
    # `1 and 2`, `(11,7)or(7,11)`, `W(x)=1orW(x)=-1`: a word joining two answers is a comma.
    s = re.sub(r"(?<=[\d)\]},])\s*(?:and|or)(?![a-z])\s*", ",", s)
    s = _drop_trailing_units(s.strip())
    s = _SHORT_FRAC.sub(lambda m: f"\\frac{{{m[1].strip('{}')}}}{{{m[2].strip('{}')}}}", s)
    s = _SHORT_SQRT.sub(r"\\sqrt{\1}", s)
    s = re.sub(r"\\inf(?:ty)?(?![A-Za-z])|(?<![A-Za-z\\])infinity(?![A-Za-z])", r"\\infty ", s)
    s = s.strip().rstrip(".")
    word = _NUMBER_WORDS.get(s.lower())
    if word is not None:
        return word
    return _WHOLE_THOUSANDS.sub(lambda m: m[1] + m[2] + m[3].replace(",", ""), s)


def normalize(answer: str) -> str:
    """The canonical string form of an answer: `normalize_spaced` without any whitespace."""
    s = normalize_spaced(answer)
    # Whitespace goes, except where it separates tokens: `\sin x`, `\pi r`, `\log_2 8`.
    s = _KEEP_SPACE.sub(lambda m: m[1] + "\x01", s)
    s = re.sub(r"\s+", "", s).replace("\x01", " ")
    s = _LEADING_POINT.sub(r"0.\1", s)
    s = re.sub(r"^\+", "", s)
    s = re.sub(r"\+\\infty", r"\\infty", s)
    return s
