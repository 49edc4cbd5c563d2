"""How guessable a new password is: zxcvbn's estimate, its feedback mapped to our reasons.

No composition rules (NIST SP 800-63B §5.1.1.2): any characters, at least MIN_LENGTH of them,
refused only when zxcvbn (Dropbox's estimator: common-password and word lists, names, dates,
keyboard patterns, repeats, sequences, l33t) finds it guessable, with the person's own name
and e-mail address among the words it tries. zxcvbn's own feedback is English sentences;
we take the pattern it bases them on (the longest match, as zxcvbn.feedback does) and name
the reason, so the refusal is said in Danish and English by app.core.i18n."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from zxcvbn import zxcvbn

# zxcvbn's score 3: "safely unguessable", about 10^8 guesses or more. Below it is refused.
MIN_SCORE = 3
# zxcvbn's own limit (its matching is quadratic in the length): the estimate is of the first
# 72 characters, and what follows them cannot make a password weaker.
ESTIMATED_PREFIX = 72


def personal_words(values: Iterable[str | None]) -> list[str]:
    """The person's own words: each value whole, and its parts (a name's words, an e-mail
    address's local part and domain labels), lower-cased, at least three letters long."""
    words: list[str] = []
    for value in values:
        if not value:
            continue
        whole = value.strip().lower()
        words.append(whole)
        words.extend(part for part in re.split(r"[\s@._+\-]+", whole) if len(part) >= 3)
    return list(dict.fromkeys(words))


def weakness(password: str, user_inputs: Sequence[str] = ()) -> str | None:
    """None when the password is strong enough; else what is wrong with it, one of
    common | personal | keyboard | repeats | sequence | date | guessable."""
    result: Any = zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=personal_words(user_inputs))
    if result["score"] >= MIN_SCORE:
        return None
    sequence: list[dict[str, Any]] = result["sequence"]
    if not sequence:
        return "guessable"
    # What the person can recognise first: their own words, then a known password.
    dictionaries = {m.get("dictionary_name") for m in sequence if m["pattern"] == "dictionary"}
    if "user_inputs" in dictionaries:
        return "personal"
    longest = max(sequence, key=lambda match: len(match["token"]))
    pattern = longest["pattern"]
    if pattern == "dictionary":
        return "common" if longest.get("dictionary_name") == "passwords" else "guessable"
    if pattern == "spatial":
        return "keyboard"
    if pattern == "repeat":
        return "repeats"
    if pattern == "sequence":
        return "sequence"
    if pattern == "date" or (pattern == "regex" and longest.get("regex_name") == "recent_year"):
        return "date"
    return "guessable"
