"""extract_program: markdown fences, MBPP's [BEGIN]...[DONE], plain code."""

from __future__ import annotations

import pytest

from verifiers.code import extract_program

CASES = [
    ("```python\ndef f():\n    return 1\n```", "def f():\n    return 1\n"),
    ("Sure!\n```py\nimport math\ndef f(x):\n    return math.sqrt(x)\n```\nHope it helps.", "import math\ndef f(x):\n    return math.sqrt(x)\n"),
    ("```\ndef g():\n    pass\n```", "def g():\n    pass\n"),
    # a draft, then a corrected version, then usage without def: the corrected version wins
    ("```python\ndef f(): return 0\n```\nFixed:\n```python\ndef f(): return 1\n```\n```python\nprint(f())\n```", "def f(): return 1\n"),
    ("```python\ndef f():\n    return 2\n", "def f():\n    return 2\n"),  # unclosed fence
    ("```javascript\nfunction f() {}\n```\n```python\ndef f(): pass\n```", "def f(): pass\n"),
    ("[BEGIN]\n 'def f(a):\r\n  return a' \n[DONE]", "def f(a):\n  return a\n"),
    ("[BEGIN]\ndef f(a):\n    return a\n[DONE]", "def f(a):\n    return a\n"),
    ("def f(a):\n    return a\n", "def f(a):\n    return a\n"),
    ("    def f(a):\n        return a\n", "def f(a):\n    return a\n"),  # dedented
    ("", ""),
]  # fmt: skip


@pytest.mark.parametrize(("response", "program"), CASES)
def test_extract_program(response, program):
    assert extract_program(response) == program


def test_non_string_is_a_clear_error():
    with pytest.raises(TypeError, match="response must be a str"):
        extract_program(None)  # type: ignore[arg-type]
