#!/usr/bin/env python3
"""A BERT question-answering (SQuAD) client: question and context in, answer span out.

    python3 examples/bert_squad_client.py -m bert \\
        -q "Where is the dog?" -c "The dog sits on the porch in front of a red bicycle."

The text becomes the model's three INT64 [1, 384] inputs as BERT's SQuAD export expects
them: input_ids = [CLS] question [SEP] context [SEP] + padding, token_type_ids 0 for the
question and 1 for the context, attention_mask 1 on real tokens. The model answers
start_logits and end_logits [1, 384]; the answer is the context span (start <= end,
at most --max-answer tokens) with the highest start + end logit.

Tokens: with --vocab VOCAB.TXT (a WordPiece vocabulary such as bert-base-uncased's), text
is split as BERT does (lower case, punctuation apart, greedy longest-match word pieces);
without one, each word gets a stable id from a hash (enough for the benchmark model, whose
weights are random and whose answers therefore mean nothing).
"""

import argparse
import re
import sys
import zlib

import numpy as np

import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

SEQ = 384
CLS, SEP, PAD, UNK = "[CLS]", "[SEP]", "[PAD]", "[UNK]"


class Tokenizer:
    """Basic BERT tokenization + WordPiece, or hashed word ids without a vocabulary."""

    def __init__(self, vocab_path=None, vocab_size=30522):
        self.vocab = None
        self.size = vocab_size
        if vocab_path:
            with open(vocab_path, encoding="utf-8") as f:
                self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
            self.size = len(self.vocab)

    @staticmethod
    def words(text):
        return re.findall(r"\w+|[^\w\s]", text.lower())

    def special(self, token):
        if self.vocab is not None:
            return self.vocab[token]
        return {PAD: 0, UNK: 100, CLS: 101, SEP: 102}[token]

    def pieces(self, word):
        """(text, id) pieces of one word."""
        if self.vocab is None:
            return [(word, 1000 + zlib.crc32(word.encode()) % (self.size - 1000))]
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    out.append((piece, self.vocab[piece]))
                    break
                end -= 1
            if end == start:
                return [(word, self.vocab.get(UNK, 100))]
            start = end
        return out

    def tokenize(self, text):
        """[(piece, id, word index)] for the words of `text`."""
        return [(p, i, w) for w, word in enumerate(self.words(text)) for p, i in self.pieces(word)]


def encode(tokenizer, question, context, seq=SEQ):
    """The three model inputs [1, seq] and, per position, the context word it came from."""
    q = tokenizer.tokenize(question)
    c = tokenizer.tokenize(context)
    room = seq - len(q) - 3
    if room <= 0:
        raise ValueError("the question alone fills the sequence")
    c = c[:room]
    ids = [tokenizer.special(CLS)] + [i for _, i, _ in q] + [tokenizer.special(SEP)]
    types = [0] * len(ids)
    word_of = [-1] * len(ids)
    ids += [i for _, i, _ in c] + [tokenizer.special(SEP)]
    types += [1] * (len(c) + 1)
    word_of += [w for _, _, w in c] + [-1]
    mask = [1] * len(ids)
    pad = seq - len(ids)
    ids += [tokenizer.special(PAD)] * pad
    types += [0] * pad
    mask += [0] * pad
    word_of += [-1] * pad
    arrays = {
        "input_ids": np.array([ids], dtype=np.int64),
        "attention_mask": np.array([mask], dtype=np.int64),
        "token_type_ids": np.array([types], dtype=np.int64),
    }
    return arrays, word_of


def best_span(start_logits, end_logits, word_of, max_answer=30):
    """(start, end, score) of the best span over context positions (word_of >= 0)."""
    start_logits = np.asarray(start_logits, dtype=np.float32)
    end_logits = np.asarray(end_logits, dtype=np.float32)
    valid = np.array([w >= 0 for w in word_of])
    best = (0, 0, -np.inf)
    for s in np.flatnonzero(valid):
        stop = min(len(word_of), s + max_answer)
        ends = np.arange(s, stop)[valid[s:stop]]
        if ends.size == 0:
            continue
        scores = start_logits[s] + end_logits[ends]
        k = int(scores.argmax())
        if scores[k] > best[2]:
            best = (int(s), int(ends[k]), float(scores[k]))
    return best


def answer_text(context, word_of, start, end):
    words = Tokenizer.words(context)
    first, last = word_of[start], word_of[end]
    return " ".join(words[first : last + 1])


def infer(protocol, url, model, arrays):
    lib = grpcclient if protocol == "grpc" else httpclient
    client = lib.InferenceServerClient(url)
    try:
        inputs = []
        for name, value in arrays.items():
            inp = lib.InferInput(name, list(value.shape), "INT64")
            if protocol == "grpc":
                inp.set_data_from_numpy(value)
            else:
                inp.set_data_from_numpy(value, binary_data=True)
            inputs.append(inp)
        names = ["start_logits", "end_logits"]
        if protocol == "grpc":
            outputs = [lib.InferRequestedOutput(n) for n in names]
        else:
            outputs = [lib.InferRequestedOutput(n, binary_data=True) for n in names]
        result = client.infer(model, inputs, outputs=outputs)
        return result.as_numpy("start_logits"), result.as_numpy("end_logits")
    finally:
        client.close()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-q", "--question", required=True)
    parser.add_argument("-c", "--context", required=True)
    parser.add_argument("-m", "--model", default="bert")
    parser.add_argument("-i", "--protocol", choices=["grpc", "http"], default="grpc")
    parser.add_argument("-u", "--url", default=None)
    parser.add_argument("--vocab", help="WordPiece vocab.txt (else hashed word ids)")
    parser.add_argument("--max-answer", type=int, default=30, help="longest answer, in tokens")
    args = parser.parse_args(argv)
    url = args.url or ("127.0.0.1:8500" if args.protocol == "grpc" else "127.0.0.1:8501")
    tokenizer = Tokenizer(args.vocab)
    arrays, word_of = encode(tokenizer, args.question, args.context)
    start_logits, end_logits = infer(args.protocol, url, args.model, arrays)
    if start_logits.shape != (1, SEQ) or end_logits.shape != (1, SEQ):
        sys.exit(f"unexpected output shapes {start_logits.shape}, {end_logits.shape}; expected [1, {SEQ}]")
    start, end, score = best_span(start_logits[0], end_logits[0], word_of, args.max_answer)
    print(f"Question: {args.question!r}")
    print(f"Answer: {answer_text(args.context, word_of, start, end)!r} "
          f"(tokens {start}..{end}, start + end logit {score:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
