"""A character-level tokenizer with a compact chat template for the embedded tiny model.

Why characters: Arith solutions are digits and a handful of symbols, and a character vocabulary
makes every number's digits visible to a 2-layer model (a BPE would hide carries inside merged
tokens). It is a `tokenizers` WordLevel model over single characters, wrapped in a
`PreTrainedTokenizerFast`, so the generic `agents.policy` code path (chat template, padding,
`save_pretrained` / `AutoTokenizer.from_pretrained`) applies to it unchanged.

The chat template is compact on purpose (every character costs a position of a 256-token context):

    <|user|>Q:37+48*2-15<|assistant|>48*2=96;37+96=133;133-15=118;\\boxed{118}<|end|>

`<|end|>` ends an assistant turn and is the eos token; `<|pad|>` pads.
"""

from __future__ import annotations

import string

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, END, USER, ASSISTANT, SYSTEM, UNK = (
    "<|pad|>",
    "<|end|>",
    "<|user|>",
    "<|assistant|>",
    "<|system|>",
    "<|unk|>",
)
SPECIAL_TOKENS = (PAD, END, USER, ASSISTANT, SYSTEM, UNK)
# Every printable ASCII character plus newline and tab: the env's instruction is plain English.
CHARACTERS = tuple(dict.fromkeys(string.printable))

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}" + USER + "{{ message['content'] }}"
    "{%- elif message['role'] == 'assistant' -%}"
    + ASSISTANT
    + "{{ message['content'] }}"
    + END
    + "{%- elif message['role'] == 'system' -%}"
    + SYSTEM
    + "{{ message['content'] }}"
    "{%- else -%}{{ raise_exception('unknown chat role ' ~ message['role']) }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}" + ASSISTANT + "{%- endif -%}"
)


def build_char_tokenizer() -> PreTrainedTokenizerFast:
    """The tiny model's tokenizer: one id per special token, then one per character."""
    vocab = {token: i for i, token in enumerate((*SPECIAL_TOKENS, *CHARACTERS))}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # Every character (newlines included) is its own pre-token, so WordLevel sees single chars.
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(r"(?m:.)|\n"), behavior="isolated")
    backend.decoder = decoders.Fuse()  # concatenate without the default space separator
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token=PAD,
        eos_token=END,
        unk_token=UNK,
        additional_special_tokens=[USER, ASSISTANT, SYSTEM],
        padding_side="left",
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer
