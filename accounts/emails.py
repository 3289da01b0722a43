"""One canonical form of an email address, and its look-alike skeleton. Pure functions: every
lookup of an account by address (login, the token API, password reset, signup, the admin),
the login lockout's key and every throttle key go through them, and the User row stores both
(`email_canonical`, `email_skeleton`, each unique), so the database compares what Python
computed instead of applying its own case rules (PostgreSQL's UPPER() maps "ſ" to "S" and
"ı" to "I", its LOWER() leaves both as they are, and neither is Python's str.lower()).

- canonical: NFKC, then Unicode case folding, repeated until stable (Unicode's NFKC_Casefold
  idea): "Chriſ@Example.com" and "chris@example.com" are one address; "chrıs@…" (dotless ı)
  is another address, but a look-alike.
- skeleton: the canonical form decomposed (NFKD), without combining marks, with the letters
  that pass for Latin ones at a glance mapped to them (dotless ı, Cyrillic and Greek
  homoglyphs): two addresses with one skeleton read the same to a person, so a second account
  with it is refused (signup, email change, the admin).
"""

import unicodedata

# Letters that pass for a Latin letter in an address bar or a mail client (a subset of
# Unicode's confusables.txt: the lower-case letters that survive case folding).
_LOOK_ALIKES = str.maketrans({
    "ı": "i", "ȷ": "j", "ɩ": "i", "ɡ": "g", "ɑ": "a", "ʀ": "r", "ʏ": "y",
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ё": "e", "ї": "i",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w",
})
# What a marked row (a collision found by migration accounts 0003_i28) holds instead: no address
# canonicalises to it (an address has an "@"; this has none).
COLLISION_PREFIX = "!collision:"


def email_canonical(email):
    """The one form of `email` that identifies an account: NFKC, case-folded and stripped, to a
    fixed point (folding can produce text that normalises again)."""
    text = email or ""
    for _ in range(4):
        # Stripped after normalising too: NFKC can turn a character into a space ("´" -> " ́").
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).strip()
        if folded == text:
            break
        text = folded
    return text


def email_skeleton(email):
    """What `email` looks like to a person: two addresses with one skeleton are look-alikes."""
    decomposed = unicodedata.normalize("NFKD", email_canonical(email))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Stripped again: a mark removed can leave a space at either end ("¨" is " " + a mark in NFKD).
    return unicodedata.normalize("NFKC", bare.translate(_LOOK_ALIKES)).strip()


def collision_marker(user_id):
    """The canonical form and skeleton given to an account whose address collided with an older
    account's when the canonical columns were filled: it no longer signs in by address until ops
    settle it (`manage.py email_collisions` lists them)."""
    return f"{COLLISION_PREFIX}{user_id}"
