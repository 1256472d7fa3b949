"""The embedded tiny model: a character tokenizer, a 2-layer GPT-2, and its Arith pretraining."""
