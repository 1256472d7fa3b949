"""Find the program in a model's response: markdown fences, MBPP's [BEGIN]...[DONE], or plain code."""

from __future__ import annotations

import re
import textwrap

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_BEGIN_DONE = re.compile(r"\[BEGIN\](.*?)(?:\[DONE\]|\Z)", re.DOTALL)
_PYTHON_TAGS = {"python", "py", "python3", ""}


def extract_program(response: str) -> str:
    """The program in `response`.

    Fenced blocks win: among those tagged python (or untagged), the last one that defines a
    function (a first draft is often followed by a corrected one, and usage examples by no
    `def`), else the last one. Then MBPP's `[BEGIN] ... [DONE]` (the paper's prompts wrap the
    code in single quotes; those are stripped). Otherwise the whole response is taken as code.

    >>> extract_program("Here:\\n```python\\ndef f():\\n    return 1\\n```\\nDone.")
    'def f():\\n    return 1\\n'
    >>> extract_program("[BEGIN]\\n 'def f(): return 2' \\n[DONE]")
    'def f(): return 2\\n'
    """
    if not isinstance(response, str):
        raise TypeError(f"response must be a str, got {type(response).__name__}")
    blocks = [code for tag, code in _FENCE.findall(response) if tag.lower() in _PYTHON_TAGS]
    if blocks:
        with_def = [b for b in blocks if re.search(r"^\s*def\s", b, re.MULTILINE)]
        return _clean((with_def or blocks)[-1])
    spans = _BEGIN_DONE.findall(response)
    if spans:
        code = spans[-1].strip()
        if len(code) >= 2 and code[0] == code[-1] == "'":
            code = code[1:-1]
        return _clean(code)
    return _clean(response)


def _clean(code: str) -> str:
    code = textwrap.dedent(code.replace("\r\n", "\n")).strip("\n")
    return code + "\n" if code else ""
