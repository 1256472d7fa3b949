"""Token-exact multi-turn prompts from chat messages.

Turn 1's prompt is the chat template rendered with a generation prompt. Turn 2's prompt is NOT a
re-rendering of the whole conversation: it is turn 1's prompt ids, then the exact response ids
that were sampled, then the template's tokens for the new user message. Re-rendering would
decode and re-encode the sampled answer (BPE merges can change) and let templates rewrite history
(Qwen3's strips earlier `<think>` blocks), so the tokens scored at training time would not be the
tokens that were sampled.

To find "the template's tokens for the new user message", the conversation is rendered with a
marker in place of the previous assistant content; what follows the marker is the template's
end-of-assistant-turn text, the new user message and the generation prompt. If the sampled
response already ends with the eos token that the template writes there, it is not written twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from transformers import PreTrainedTokenizerBase

Message = Mapping[str, str]

PLAIN_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}Assistant: {{ message['content'] }}{{ eos_token }}{{ '\\n' }}"
    "{%- elif message['role'] == 'user' -%}User: {{ message['content'] }}{{ '\\n' }}"
    "{%- else -%}{{ message['role'] | capitalize }}: {{ message['content'] }}{{ '\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}Assistant:{%- endif -%}"
)
"""For models without a chat template: `User: ...` / `Assistant: ...<eos>` lines."""

_MARKER = "SCOREENVMARKERq7"


def _check_messages(messages: Sequence[Message], where: str) -> None:
    if not messages:
        raise ValueError(f"{where}: expected a non-empty list of chat messages, got {messages!r}")
    for m in messages:
        if not isinstance(m, Mapping) or not {"role", "content"} <= set(m):
            raise ValueError(
                f"{where}: each message must be a dict with 'role' and 'content', got {m!r}"
            )
    if messages[-1]["role"] != "user":
        raise ValueError(
            f"{where}: the last message must be the user's, got role {messages[-1]['role']!r}"
        )


def render(tokenizer: PreTrainedTokenizerBase, messages: Sequence[Message]) -> str:
    """The chat template's text for `messages`, ending with the assistant generation prompt."""
    text = tokenizer.apply_chat_template(
        [dict(m) for m in messages], tokenize=False, add_generation_prompt=True
    )
    assert isinstance(text, str)
    return text


def encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    """Token ids of template text; the template writes any BOS itself, so none is added."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def first_prompt_ids(
    tokenizer: PreTrainedTokenizerBase, messages_batch: Sequence[Sequence[Message]]
) -> list[list[int]]:
    """Turn-1 prompts: each conversation rendered with the generation prompt and tokenized."""
    prompts = []
    for messages in messages_batch:
        _check_messages(messages, "first_prompt_ids")
        prompts.append(encode(tokenizer, render(tokenizer, messages)))
    return prompts


def new_turn_text(tokenizer: PreTrainedTokenizerBase, conversation: Sequence[Message]) -> str:
    """Template text after the last assistant message's content, up to the generation prompt.

    `conversation` is the whole dialogue so far (as the env's `info["messages"]` gives it), with
    at least one assistant message followed by the new user message(s).
    """
    _check_messages(conversation, "next_prompt_ids")
    roles = [m["role"] for m in conversation]
    if "assistant" not in roles:
        raise ValueError(
            f"next_prompt_ids: the conversation must contain the previous assistant turn, got roles {roles}"
        )
    last = len(roles) - 1 - roles[::-1].index("assistant")
    marked = [dict(m) for m in conversation]
    marked[last]["content"] = _MARKER
    text = render(tokenizer, marked)
    if text.count(_MARKER) != 1:
        raise ValueError(
            "the chat template did not render the previous assistant turn exactly once; "
            "cannot append the new turn token-exactly"
        )
    return text[text.index(_MARKER) + len(_MARKER) :]


def next_prompt_ids(
    tokenizer: PreTrainedTokenizerBase,
    prev_prompt_ids: Sequence[Sequence[int]],
    prev_response_ids: Sequence[Sequence[int]],
    conversations: Sequence[Sequence[Message]],
    eos_token_ids: Collection[int],
) -> list[list[int]]:
    """Next-turn prompts: previous prompt + sampled response + the template's new-turn tokens."""
    if not len(prev_prompt_ids) == len(prev_response_ids) == len(conversations):
        raise ValueError(
            f"next_prompt_ids: batch sizes differ: {len(prev_prompt_ids)} prompts, "
            f"{len(prev_response_ids)} responses, {len(conversations)} conversations"
        )
    prompts = []
    for prompt, response, conversation in zip(
        prev_prompt_ids, prev_response_ids, conversations, strict=True
    ):
        suffix = new_turn_text(tokenizer, conversation)
        if response and response[-1] in eos_token_ids:
            # The response already holds the end-of-turn token the template writes next.
            eos_text = str(tokenizer.decode([response[-1]]))
            if suffix.startswith(eos_text):
                suffix = suffix[len(eos_text) :]
        prompts.append([*prompt, *response, *encode(tokenizer, suffix)])
    return prompts
